#include "runtime/cgroups/hybrid.hpp"

#include <algorithm>

#include "runtime/cgroups/resource_sets.hpp"

namespace berth::runtime::cgroups {

Status HybridCgroup::create() {
  BERTH_CHECK(v1_.create());
  return v2_.create();
}

Status HybridCgroup::add_process(pid_t pid) {
  BERTH_CHECK(v1_.add_process(pid));
  return v2_.add_process(pid);
}

Status HybridCgroup::apply(const Resources& r) {
  Resources on_v1 = r;
  Resources on_v2;
  on_v2.unified = r.unified;
  on_v1.unified.clear();

  // What v1 lacks goes to the unified hierarchy when that one has it.
  std::vector<std::string> offered;
  bool offered_read = false;
  std::vector<std::string> to_enable;
  auto v2_takes = [&](const char* v1_name, const char* v2_name) -> bool {
    if (v1_.has(v1_name)) return false;
    if (!offered_read) {
      offered = v2_.available().value_or(std::vector<std::string>{});
      offered_read = true;
    }
    if (std::find(offered.begin(), offered.end(), v2_name) == offered.end()) return false;
    to_enable.push_back(v2_name);
    return true;
  };
  if (memory_set(r) && v2_takes("memory", "memory")) {
    on_v2.memory = r.memory;
    on_v1.memory.reset();
  }
  if ((cpu_set(r) || cpuset_set(r)) && r.cpu) {
    if (cpu_set(r) && v2_takes("cpu", "cpu")) {
      on_v2.cpu = r.cpu;
      on_v2.cpu->cpus.clear();
      on_v2.cpu->mems.clear();
      on_v1.cpu->shares.reset();
      on_v1.cpu->period.reset();
      on_v1.cpu->quota.reset();
      on_v1.cpu->realtime_period.reset();
      on_v1.cpu->realtime_runtime.reset();
      on_v1.cpu->idle.reset();
    }
    if (cpuset_set(r) && v2_takes("cpuset", "cpuset")) {
      if (!on_v2.cpu) on_v2.cpu = CpuResources{};
      on_v2.cpu->cpus = r.cpu->cpus;
      on_v2.cpu->mems = r.cpu->mems;
      on_v1.cpu->cpus.clear();
      on_v1.cpu->mems.clear();
    }
  }
  if (r.pids_limit && v2_takes("pids", "pids")) {
    on_v2.pids_limit = r.pids_limit;
    on_v1.pids_limit.reset();
  }
  if (blkio_set(r) && v2_takes("blkio", "io")) {
    on_v2.block_io = r.block_io;
    on_v1.block_io.reset();
  }
  if (!r.hugepage_limits.empty() && v2_takes("hugetlb", "hugetlb")) {
    on_v2.hugepage_limits = r.hugepage_limits;
    on_v1.hugepage_limits.clear();
  }
  if (!r.devices.empty() && !v1_.has("devices")) {
    on_v2.devices = r.devices;
    on_v1.devices.clear();
  }

  BERTH_CHECK(v1_.apply(on_v1));
  if (!to_enable.empty()) BERTH_CHECK(v2_.enable(to_enable));
  return v2_.apply(on_v2);
}

Status HybridCgroup::freeze() {
  return v1_freezes() ? v1_.freeze() : v2_.freeze();
}
Status HybridCgroup::thaw() {
  return v1_freezes() ? v1_.thaw() : v2_.thaw();
}
Result<bool> HybridCgroup::frozen() {
  return v1_freezes() ? v1_.frozen() : v2_.frozen();
}

Result<std::vector<pid_t>> HybridCgroup::pids() {
  auto pids = v1_.pids();
  if (pids || !v2_.usable()) return pids;
  return v2_.pids();
}

Status HybridCgroup::destroy() {
  auto v1 = v1_.destroy();
  auto v2 = v2_.destroy();
  if (!v1) return v1;
  return v2;
}

nlohmann::json HybridCgroup::paths() const {
  auto j = v1_.paths();
  j["mode"] = "hybrid";
  if (v2_.usable()) j["unified"] = v2_.dir();
  return j;
}

}  // namespace berth::runtime::cgroups
