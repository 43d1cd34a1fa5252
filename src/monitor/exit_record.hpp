#pragma once

#include <string>

#include "base/error.hpp"

namespace berth::monitor {

// How a container's process ended, as the monitor records it in <run dir>/exit.json for the
// engine, which may read it long after the monitor is gone.
struct ExitRecord {
  int exit_code = 0;        // 128+signal when killed, as a shell reports it
  bool oom_killed = false;  // the kernel's OOM killer hit the container's cgroup
  std::string started_at;   // RFC 3339, of the run that ended
  std::string finished_at;
  int restart_count = 0;    // restarts the monitor made before this exit
  std::string error;        // why the container could not be (re)started, if it could not
  bool restarting = false;  // the monitor waits to start it again
};

Status write_exit_record(const std::string& path, const ExitRecord& record);
// A missing file is ENOENT; a malformed one an error naming the file.
Result<ExitRecord> read_exit_record(const std::string& path);

}  // namespace berth::monitor
