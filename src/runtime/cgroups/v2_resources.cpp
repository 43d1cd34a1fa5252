#include <fcntl.h>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "runtime/cgroups/convert.hpp"
#include "runtime/cgroups/device_filter_bpf.hpp"
#include "runtime/cgroups/device_rules.hpp"
#include "runtime/cgroups/resource_sets.hpp"
#include "runtime/cgroups/v2.hpp"

namespace berth::runtime::cgroups {

namespace {

Status write(const std::string& dir, const std::string& file, const std::string& value) {
  auto written = fs::write_file(dir + "/" + file, value);
  if (!written && written.error().errno_value == ENOENT) {
    auto controller = file.substr(0, file.find('.'));
    return fail(
        written.error().wrap("the " + controller + " controller is not enabled for " + quote(dir)));
  }
  return written;
}

std::string device(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

}  // namespace

Status V2Cgroup::apply(const Resources& r) {
  bool devices = !r.devices.empty();
  bool any = memory_set(r) || cpu_set(r) || cpuset_set(r) || r.pids_limit || blkio_set(r) ||
             !r.hugepage_limits.empty() || !r.unified.empty();
  if (!any && !devices) return {};
  if (!usable_) {
    if (!any) return {};
    std::string what = memory_set(r)       ? "memory"
                       : cpu_set(r)        ? "cpu"
                       : cpuset_set(r)     ? "cpuset"
                       : r.pids_limit      ? "pids limit"
                       : blkio_set(r)      ? "io"
                       : r.unified.empty() ? "hugepage limits"
                                           : "unified";
    BERTH_CHECK(check_usable(what));
  }
  if (memory_set(r)) BERTH_CHECK(apply_memory(*r.memory));
  if (cpu_set(r)) BERTH_CHECK(apply_cpu(*r.cpu));
  if (cpuset_set(r)) {
    if (!r.cpu->cpus.empty()) BERTH_CHECK(write(dir_, "cpuset.cpus", r.cpu->cpus));
    if (!r.cpu->mems.empty()) BERTH_CHECK(write(dir_, "cpuset.mems", r.cpu->mems));
  }
  if (r.pids_limit)
    BERTH_CHECK(write(dir_, "pids.max", v2_limit(*r.pids_limit <= 0 ? -1 : *r.pids_limit)));
  if (blkio_set(r)) BERTH_CHECK(apply_io(*r.block_io));
  for (const auto& l : r.hugepage_limits) {
    BERTH_CHECK(check_page_size(l.page_size));
    BERTH_CHECK(write(dir_, "hugetlb." + l.page_size + ".max", std::to_string(l.limit)));
  }
  if (devices) {
    auto applied = apply_devices(r.devices);
    if (!applied && !rootless_) return applied;
  }
  return apply_unified(r.unified);
}

Status V2Cgroup::apply_memory(const MemoryResources& m) {
  auto swap = BERTH_TRY(v2_swap_max(m.limit, m.swap));
  if (swap) {
    if (fs::exists(dir_ + "/memory.swap.max")) {
      BERTH_CHECK(write(dir_, "memory.swap.max", v2_limit(*swap)));
    } else if (*swap > 0) {
      return fail_msg("cannot set memory.swap: swap accounting is off in this kernel (" +
                      quote(dir_ + "/memory.swap.max") + " is missing)");
    }
  }
  if (nonzero(m.limit)) BERTH_CHECK(write(dir_, "memory.max", v2_limit(*m.limit)));
  if (nonzero(m.reservation)) BERTH_CHECK(write(dir_, "memory.low", v2_limit(*m.reservation)));
  return {};
}

Status V2Cgroup::apply_cpu(const CpuResources& c) {
  if (nonzero(c.realtime_period) || nonzero(c.realtime_runtime))
    return fail_msg(
        "cannot set cpu.realtimePeriod/realtimeRuntime: cgroup v2 has no realtime "
        "cpu controller");
  if (nonzero(c.shares))
    BERTH_CHECK(write(dir_, "cpu.weight", std::to_string(shares_to_weight(*c.shares))));
  if (nonzero(c.quota) || nonzero(c.period)) {
    std::string value = nonzero(c.quota) && *c.quota > 0 ? std::to_string(*c.quota) : "max";
    if (nonzero(c.period)) value += " " + std::to_string(*c.period);
    BERTH_CHECK(write(dir_, "cpu.max", value));
  }
  if (c.idle) BERTH_CHECK(write(dir_, "cpu.idle", std::to_string(*c.idle)));
  return {};
}

Status V2Cgroup::apply_io(const BlockIoResources& b) {
  bool bfq = fs::exists(dir_ + "/io.bfq.weight");
  if (b.weight && *b.weight != 0) {
    if (bfq)
      BERTH_CHECK(write(dir_, "io.bfq.weight", std::to_string(*b.weight)));
    else
      BERTH_CHECK(write(dir_, "io.weight", std::to_string(blkio_weight_to_io_weight(*b.weight))));
  }
  for (const auto& wd : b.weight_device) {
    if (!wd.weight) continue;
    auto line = device(wd.major, wd.minor) + " ";
    if (bfq)
      BERTH_CHECK(write(dir_, "io.bfq.weight", line + std::to_string(*wd.weight)));
    else
      BERTH_CHECK(
          write(dir_, "io.weight", line + std::to_string(blkio_weight_to_io_weight(*wd.weight))));
  }
  auto throttle = [&](const char* key, const std::vector<ThrottleDevice>& list) -> Status {
    for (const auto& t : list)
      BERTH_CHECK(write(dir_, "io.max",
                        device(t.major, t.minor) + " " + key + "=" + std::to_string(t.rate)));
    return {};
  };
  BERTH_CHECK(throttle("rbps", b.throttle_read_bps));
  BERTH_CHECK(throttle("wbps", b.throttle_write_bps));
  BERTH_CHECK(throttle("riops", b.throttle_read_iops));
  BERTH_CHECK(throttle("wiops", b.throttle_write_iops));
  return {};
}

Status V2Cgroup::apply_devices(const std::vector<DeviceRule>& rules) {
  auto policy = BERTH_TRY(emulate_v1(rules));
  auto program = device_filter_program(policy);
  auto fd = BERTH_TRY(sys::open(dir_, O_RDONLY | O_DIRECTORY));
  return attach_device_filter(fd.get(), dir_, program);
}

Status V2Cgroup::apply_unified(const std::map<std::string, std::string>& unified) {
  for (const auto& [key, value] : unified) {
    if (key.empty() || key.find('/') != std::string::npos || key == "." || key == "..")
      return fail_msg("linux.resources.unified: bad key " + quote(key));
    BERTH_CHECK(write(dir_, key, value));
  }
  return {};
}

}  // namespace berth::runtime::cgroups
