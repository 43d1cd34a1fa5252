#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.hpp"
#include "monitor/monitor_config.hpp"

namespace berth::engine {

// A binary that ships beside the running one (build/bin or the install's bin): berth-monitor,
// berth-init.
Result<std::string> sibling_binary(const std::string& name);

struct LaunchedMonitor {
  pid_t monitor_pid = 0;
  unsigned long long monitor_start_time = 0;
  pid_t container_pid = 0;
};

// Writes <run dir>/monitor.json and starts berth-monitor on it in a session of its own, then
// waits for its word: the container's pid once it runs (or, with attach_wait, once it is made),
// or the reason it could not.
Result<LaunchedMonitor> launch_monitor(const std::string& run_dir,
                                       const monitor::MonitorConfig& config);

}  // namespace berth::engine
