#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace berth::monitor {

// How many times the kernel's OOM killer has killed a process of the cgroup whose directories the
// runtime recorded (its state's cgroup paths): memory.events on cgroup v2, memory.oom_control on
// v1. 0 when the counter cannot be read (no memory controller, kernel without the field).
uint64_t oom_kill_count(const nlohmann::json& cgroup_paths);

}  // namespace berth::monitor
