#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "monitor/json_file_log.hpp"
#include "monitor/monitor_config.hpp"
#include "monitor/supervise/attach_clients.hpp"
#include "monitor/supervise/container_stdio.hpp"
#include "runtime/container.hpp"

namespace berth::monitor {

// One container's supervisor: makes and starts it through the runtime library (so that init is
// our child), copies its output to the log and to attached clients, records how it ended, restarts
// it as its policy says, and at the end hands over to the engine's exit command.
class Supervisor {
 public:
  Supervisor(std::string run_dir, MonitorConfig config, int sync_fd);
  // Returns when the container has ended for good; true when an attached client took over the
  // cleanup.
  Result<bool> run();

 private:
  Status start_once(bool first);
  Status wait_for_first_client();
  // Until init exits; returns its exit code (128+signal when killed).
  Result<int> pump_until_exit();
  void drain_output();
  bool read_output(int fd, FrameType stream);
  void handle_client(size_t index);
  void forward_signal(int sig);
  void report(const std::string& key, const std::string& value);
  bool stop_requested() const;
  // Waits out the restart delay; false when a stop came meanwhile.
  bool sleep_before_restart(std::chrono::milliseconds delay);

  std::string run_dir_;
  MonitorConfig config_;
  runtime::RuntimeOptions rt_;
  unique_fd sync_;
  unique_fd signals_;
  std::optional<JsonFileLog> log_;
  AttachClients clients_;
  ContainerStdio stdio_;
  unique_fd init_pidfd_;
  pid_t init_pid_ = 0;
  nlohmann::json cgroup_paths_;
  uint64_t oom_kills_before_ = 0;
  std::string started_at_;
  std::chrono::steady_clock::time_point started_;
  int restart_count_ = 0;
};

}  // namespace berth::monitor
