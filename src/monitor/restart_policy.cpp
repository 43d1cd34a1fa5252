#include "monitor/restart_policy.hpp"

#include <algorithm>

namespace berth::monitor {

bool should_restart(const RestartPolicy& policy, int exit_code, int restarts_so_far,
                    bool stopped_on_purpose) {
  if (stopped_on_purpose) return false;
  if (policy.name == "always" || policy.name == "unless-stopped") return true;
  if (policy.name == "on-failure")
    return exit_code != 0 && (policy.max_retries <= 0 || restarts_so_far < policy.max_retries);
  return false;
}

std::chrono::milliseconds restart_delay(std::chrono::milliseconds previous,
                                        std::chrono::milliseconds last_run) {
  using namespace std::chrono_literals;
  if (previous.count() == 0 || last_run >= 10s) return 100ms;
  return std::min<std::chrono::milliseconds>(previous * 2, 60s);
}

}  // namespace berth::monitor
