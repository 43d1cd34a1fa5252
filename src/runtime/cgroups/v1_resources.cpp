#include <charconv>
#include <limits>

#include "base/fs.hpp"
#include "runtime/cgroups/convert.hpp"
#include "runtime/cgroups/device_rules.hpp"
#include "runtime/cgroups/resource_sets.hpp"
#include "runtime/cgroups/tree.hpp"
#include "runtime/cgroups/v1.hpp"

namespace berth::runtime::cgroups {

namespace {

Status write(const std::string& dir, const char* file, const std::string& value) {
  return fs::write_file(dir + "/" + file, value);
}

std::string device_value(int64_t major, int64_t minor, uint64_t value) {
  return std::to_string(major) + ":" + std::to_string(minor) + " " + std::to_string(value);
}

Status write_memory_limit(const std::string& dir, int64_t limit) {
  auto written = write(dir, "memory.limit_in_bytes", std::to_string(limit));
  if (!written && written.error().errno_value == EBUSY) {
    auto usage = read_value(dir + "/memory.usage_in_bytes");
    return fail(written.error().wrap("memory limit " + std::to_string(limit) +
                                     " is below the current usage" +
                                     (usage ? " " + *usage : std::string())));
  }
  if (!written && written.error().errno_value == EINVAL) {
    auto memsw = read_value(dir + "/memory.memsw.limit_in_bytes");
    if (memsw)
      return fail(written.error().wrap("memory limit " + std::to_string(limit) +
                                       " must not be above the memory+swap limit " + *memsw +
                                       ": set memory.swap too"));
  }
  return written;
}

// Writes a (first, second) pair whose kernel checks depend on each other's current value: when
// the first write is refused, the other order is the one the kernel takes.
Status write_pair(const std::string& dir, const char* first_file, std::optional<std::string> first,
                  const char* second_file, std::optional<std::string> second) {
  if (first) {
    auto written = write(dir, first_file, *first);
    if (!written) {
      if (written.error().errno_value != EINVAL || !second) return written;
      BERTH_CHECK(write(dir, second_file, *second));
      return write(dir, first_file, *first);
    }
  }
  if (second) return write(dir, second_file, *second);
  return {};
}

}  // namespace

Status V1Cgroup::apply(const Resources& r) {
  if (!r.unified.empty())
    return fail_msg(
        "linux.resources.unified: needs cgroup v2, and this machine has cgroup v1 only");
  if (memory_set(r)) BERTH_CHECK(apply_memory(BERTH_TRY(dir_for("memory", "memory")), *r.memory));
  if (cpu_set(r)) BERTH_CHECK(apply_cpu(BERTH_TRY(dir_for("cpu", "cpu")), *r.cpu));
  if (cpuset_set(r)) BERTH_CHECK(apply_cpuset(BERTH_TRY(dir_for("cpuset", "cpuset")), *r.cpu));
  if (r.pids_limit) {
    auto dir = BERTH_TRY(dir_for("pids", "pids limit"));
    BERTH_CHECK(write(dir, "pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max"));
  }
  if (blkio_set(r)) BERTH_CHECK(apply_blkio(BERTH_TRY(dir_for("blkio", "blkio")), *r.block_io));
  if (!r.hugepage_limits.empty())
    BERTH_CHECK(apply_hugetlb(BERTH_TRY(dir_for("hugetlb", "hugepage limits")), r.hugepage_limits));
  if (!r.devices.empty()) {
    auto dir = dir_for("devices", "devices");
    if (!dir) {
      if (rootless_) return {};
      return fail(dir.error());
    }
    auto applied = apply_devices(*dir, r.devices);
    if (!applied && !rootless_) return applied;
  }
  return {};
}

Status V1Cgroup::apply_memory(const std::string& dir, const MemoryResources& m) {
  std::optional<int64_t> limit, swap;
  if (nonzero(m.limit)) limit = m.limit;
  if (nonzero(m.swap)) swap = m.swap;
  bool has_swap_file = fs::exists(dir + "/memory.memsw.limit_in_bytes");
  if (limit && *limit < 0 && !swap && has_swap_file) swap = -1;
  if (swap && !has_swap_file) {
    if (*swap >= 0 && (!limit || *swap != *limit))
      return fail_msg("cannot set memory.swap: swap accounting is off in this kernel (" +
                      quote(dir + "/memory.memsw.limit_in_bytes") + " is missing)");
    swap.reset();
  }
  if (limit && swap) {
    // memsw.limit may never be below limit: raise memsw first, lower limit first.
    auto current = BERTH_TRY(read_value(dir + "/memory.limit_in_bytes"));
    bool swap_first = *swap < 0;
    if (!swap_first) {
      uint64_t now = 0;
      auto [end, ec] = std::from_chars(current.data(), current.data() + current.size(), now);
      if (ec != std::errc() || end != current.data() + current.size())
        return fail_msg("read " + quote(dir + "/memory.limit_in_bytes") + ": bad value " +
                        quote(current));
      swap_first = now < static_cast<uint64_t>(*swap);
    }
    if (swap_first) {
      BERTH_CHECK(write(dir, "memory.memsw.limit_in_bytes", std::to_string(*swap)));
      BERTH_CHECK(write_memory_limit(dir, *limit));
    } else {
      BERTH_CHECK(write_memory_limit(dir, *limit));
      BERTH_CHECK(write(dir, "memory.memsw.limit_in_bytes", std::to_string(*swap)));
    }
  } else if (limit) {
    BERTH_CHECK(write_memory_limit(dir, *limit));
  } else if (swap) {
    BERTH_CHECK(write(dir, "memory.memsw.limit_in_bytes", std::to_string(*swap)));
  }
  if (nonzero(m.reservation))
    BERTH_CHECK(write(dir, "memory.soft_limit_in_bytes", std::to_string(*m.reservation)));
  if (nonzero(m.kernel_tcp))
    BERTH_CHECK(write(dir, "memory.kmem.tcp.limit_in_bytes", std::to_string(*m.kernel_tcp)));
  if (m.swappiness && *m.swappiness != std::numeric_limits<uint64_t>::max()) {
    if (*m.swappiness > 100)
      return fail_msg("memory.swappiness " + std::to_string(*m.swappiness) +
                      ": must be between 0 and 100");
    BERTH_CHECK(write(dir, "memory.swappiness", std::to_string(*m.swappiness)));
  }
  if (m.disable_oom_killer && *m.disable_oom_killer)
    BERTH_CHECK(write(dir, "memory.oom_control", "1"));
  return {};
}

Status V1Cgroup::apply_cpu(const std::string& dir, const CpuResources& c) {
  if (nonzero(c.shares)) BERTH_CHECK(write(dir, "cpu.shares", std::to_string(*c.shares)));
  std::optional<std::string> period, quota, rt_period, rt_runtime;
  if (nonzero(c.period)) period = std::to_string(*c.period);
  if (nonzero(c.quota)) quota = std::to_string(*c.quota);
  BERTH_CHECK(write_pair(dir, "cpu.cfs_period_us", period, "cpu.cfs_quota_us", quota));
  if (nonzero(c.realtime_period)) rt_period = std::to_string(*c.realtime_period);
  if (nonzero(c.realtime_runtime)) rt_runtime = std::to_string(*c.realtime_runtime);
  BERTH_CHECK(write_pair(dir, "cpu.rt_period_us", rt_period, "cpu.rt_runtime_us", rt_runtime));
  if (c.idle) BERTH_CHECK(write(dir, "cpu.idle", std::to_string(*c.idle)));
  return {};
}

Status V1Cgroup::apply_cpuset(const std::string& dir, const CpuResources& c) {
  if (!c.cpus.empty()) BERTH_CHECK(write(dir, "cpuset.cpus", c.cpus));
  if (!c.mems.empty()) BERTH_CHECK(write(dir, "cpuset.mems", c.mems));
  return {};
}

Status V1Cgroup::apply_blkio(const std::string& dir, const BlockIoResources& b) {
  // Without CFQ the weights are BFQ's.
  bool bfq = !fs::exists(dir + "/blkio.weight") && fs::exists(dir + "/blkio.bfq.weight");
  const char* weight_file = bfq ? "blkio.bfq.weight" : "blkio.weight";
  const char* weight_device_file = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
  if (b.weight && *b.weight != 0) BERTH_CHECK(write(dir, weight_file, std::to_string(*b.weight)));
  if (b.leaf_weight && *b.leaf_weight != 0)
    BERTH_CHECK(write(dir, "blkio.leaf_weight", std::to_string(*b.leaf_weight)));
  for (const auto& wd : b.weight_device) {
    if (wd.weight)
      BERTH_CHECK(write(dir, weight_device_file, device_value(wd.major, wd.minor, *wd.weight)));
    if (wd.leaf_weight)
      BERTH_CHECK(write(dir, "blkio.leaf_weight_device",
                        device_value(wd.major, wd.minor, *wd.leaf_weight)));
  }
  auto throttle = [&](const char* file, const std::vector<ThrottleDevice>& list) -> Status {
    for (const auto& t : list)
      BERTH_CHECK(write(dir, file, device_value(t.major, t.minor, t.rate)));
    return {};
  };
  BERTH_CHECK(throttle("blkio.throttle.read_bps_device", b.throttle_read_bps));
  BERTH_CHECK(throttle("blkio.throttle.write_bps_device", b.throttle_write_bps));
  BERTH_CHECK(throttle("blkio.throttle.read_iops_device", b.throttle_read_iops));
  BERTH_CHECK(throttle("blkio.throttle.write_iops_device", b.throttle_write_iops));
  return {};
}

Status V1Cgroup::apply_hugetlb(const std::string& dir, const std::vector<HugepageLimit>& limits) {
  for (const auto& l : limits) {
    BERTH_CHECK(check_page_size(l.page_size));
    BERTH_CHECK(fs::write_file(dir + "/hugetlb." + l.page_size + ".limit_in_bytes",
                               std::to_string(l.limit)));
  }
  return {};
}

Status V1Cgroup::apply_devices(const std::string& dir, const std::vector<DeviceRule>& rules) {
  for (const auto& rule : rules) BERTH_CHECK(check_device_rule(rule));
  bool starts_with_deny_all = !rules.empty() && rules[0].type == "a" && !rules[0].allow;
  if (!starts_with_deny_all) BERTH_CHECK(write(dir, "devices.deny", "a"));
  for (const auto& rule : rules)
    BERTH_CHECK(write(dir, rule.allow ? "devices.allow" : "devices.deny", v1_device_line(rule)));
  return {};
}

}  // namespace berth::runtime::cgroups
