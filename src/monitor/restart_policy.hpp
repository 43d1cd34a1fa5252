#pragma once

#include <chrono>
#include <string>

#include "monitor/monitor_config.hpp"

namespace berth::monitor {

// Docker's rule: no never restarts; always and unless-stopped always do; on-failure[:N] restarts
// a non-zero exit, at most N times when N > 0. A container stopped on purpose never restarts.
bool should_restart(const RestartPolicy& policy, int exit_code, int restarts_so_far,
                    bool stopped_on_purpose);

// The wait before the next restart, as Docker's: 100 ms, doubled after each restart up to a
// minute, back to 100 ms after a run of at least 10 s.
std::chrono::milliseconds restart_delay(std::chrono::milliseconds previous,
                                        std::chrono::milliseconds last_run);

}  // namespace berth::monitor
