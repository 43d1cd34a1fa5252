#pragma once

#include <sys/types.h>

#include <cstdint>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace berth::engine {

// One reading of a running container's counters, from its cgroups (v1, v2 or hybrid, as the
// runtime recorded their directories) and its network namespace.
struct ContainerStats {
  uint64_t cpu_ns = 0;
  uint64_t memory_usage = 0;  // without the inactive page cache, as Docker counts it
  uint64_t memory_limit = 0;  // the host's memory when unlimited
  uint64_t pids = 0;
  uint64_t block_read = 0, block_write = 0;
  uint64_t net_rx = 0, net_tx = 0;
};

Result<ContainerStats> read_container_stats(const nlohmann::json& cgroup_paths, pid_t pid);

}  // namespace berth::engine
