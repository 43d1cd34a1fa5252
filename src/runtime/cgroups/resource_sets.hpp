#pragma once

#include "runtime/spec.hpp"

// Which parts of a Resources ask for something; zero means unset where runc treats it so.
namespace berth::runtime::cgroups {

inline bool nonzero(const std::optional<int64_t>& v) {
  return v && *v != 0;
}
inline bool nonzero(const std::optional<uint64_t>& v) {
  return v && *v != 0;
}

inline bool memory_set(const Resources& r) {
  if (!r.memory) return false;
  const auto& m = *r.memory;
  return nonzero(m.limit) || nonzero(m.reservation) || nonzero(m.swap) || nonzero(m.kernel_tcp) ||
         m.swappiness || (m.disable_oom_killer && *m.disable_oom_killer);
}

inline bool cpu_set(const Resources& r) {
  if (!r.cpu) return false;
  const auto& c = *r.cpu;
  return nonzero(c.shares) || nonzero(c.period) || nonzero(c.quota) || nonzero(c.realtime_period) ||
         nonzero(c.realtime_runtime) || c.idle;
}

inline bool cpuset_set(const Resources& r) {
  return r.cpu && (!r.cpu->cpus.empty() || !r.cpu->mems.empty());
}

inline bool blkio_set(const Resources& r) {
  if (!r.block_io) return false;
  const auto& b = *r.block_io;
  return (b.weight && *b.weight != 0) || (b.leaf_weight && *b.leaf_weight != 0) ||
         !b.weight_device.empty() || !b.throttle_read_bps.empty() ||
         !b.throttle_write_bps.empty() || !b.throttle_read_iops.empty() ||
         !b.throttle_write_iops.empty();
}

}  // namespace berth::runtime::cgroups
