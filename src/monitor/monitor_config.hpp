#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace berth::monitor {

// Docker's restart policies; unless-stopped behaves as always without a daemon that restarts.
struct RestartPolicy {
  std::string name = "no";  // no, always, unless-stopped, on-failure
  int max_retries = 0;      // on-failure: 0 = unlimited
};

// What the engine tells the monitor of one container, in <run dir>/monitor.json.
struct MonitorConfig {
  std::string id;
  std::string runtime_root;  // state root of the runtime library
  std::string bundle;        // holds config.json
  bool rootless = false;
  bool systemd_cgroup = false;
  bool open_stdin = false;  // -i: the container's stdin is a pipe the monitor holds
  bool stdin_once = false;  // close it when the first attached client closes its stdin
  bool tty = false;
  // Created, the container waits for the first attach client before it starts (docker run
  // without -d), so that no output is missed.
  bool attach_wait = false;
  std::string log_path;  // empty: log driver none
  uint64_t log_max_size = 0;
  int log_max_file = 1;
  RestartPolicy restart;
  // Exec'd when the container has ended for good (not restarted): the engine's cleanup.
  std::vector<std::string> exit_command;
};

Status write_monitor_config(const std::string& path, const MonitorConfig& config);
Result<MonitorConfig> read_monitor_config(const std::string& path);

// The files of a run dir that the monitor and the engine share.
inline std::string monitor_config_path(const std::string& run_dir) {
  return run_dir + "/monitor.json";
}
inline std::string attach_socket_path(const std::string& run_dir) {
  return run_dir + "/attach.sock";
}
// A socket's path may not exceed 107 bytes, and run dirs under a deep --exec-root do: sockets are
// bound and reached through /proc/self/fd/<an O_PATH fd of the run dir>/attach.sock.
inline std::string attach_socket_short_path(int run_dir_fd) {
  return "/proc/self/fd/" + std::to_string(run_dir_fd) + "/attach.sock";
}
inline std::string exit_record_path(const std::string& run_dir) {
  return run_dir + "/exit.json";
}
inline std::string running_record_path(const std::string& run_dir) {
  return run_dir + "/running.json";
}
// Present: the engine stopped the container on purpose; the monitor must not restart it.
inline std::string stop_marker_path(const std::string& run_dir) {
  return run_dir + "/stopped";
}

}  // namespace berth::monitor
