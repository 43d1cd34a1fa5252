#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/cgroups/cgroup.hpp"
#include "runtime/cgroups/path.hpp"

namespace berth::runtime::cgroups {

struct V1Hierarchy {
  std::string name;  // as in /proc/self/cgroup: "memory", "cpu,cpuacct", "name=systemd"
  std::vector<std::string> controllers;
  std::string dir;     // the container's cgroup in this hierarchy
  bool usable = true;  // false once rootless could not create or join it
};

// The v1 hierarchies mounted under /sys/fs/cgroup, from the runtime's own /proc/self/cgroup,
// with the container's directory in each for a path from requested_path().
Result<std::vector<V1Hierarchy>> v1_hierarchies(const std::vector<ProcCgroupLine>& own,
                                                const std::string& requested);

class V1Cgroup : public Cgroup {
 public:
  V1Cgroup(std::vector<V1Hierarchy> hierarchies, bool rootless)
      : hierarchies_(std::move(hierarchies)), rootless_(rootless) {}

  Mode mode() const override { return Mode::v1; }
  Status create() override;
  Status add_process(pid_t pid) override;
  Status apply(const Resources& resources) override;
  Status freeze() override;
  Status thaw() override;
  Result<bool> frozen() override;
  Result<std::vector<pid_t>> pids() override;
  Status destroy() override;
  nlohmann::json paths() const override;

  // Whether a hierarchy carries this controller ("memory", "freezer", ...).
  bool has(std::string_view controller) const { return find(controller) != nullptr; }
  // Whether the container got a cgroup in that controller's hierarchy (rootless may not).
  bool usable(std::string_view controller) const {
    const auto* h = find(controller);
    return h != nullptr && h->usable;
  }

 private:
  const V1Hierarchy* find(std::string_view controller) const;
  V1Hierarchy* find(std::string_view controller);
  // The container's dir for a controller, or why "what" cannot be set.
  Result<std::string> dir_for(std::string_view controller, const std::string& what);
  // Gives empty cpuset cgroups from the mount down to dir their parent's cpus and mems.
  Status fill_cpuset(const std::string& dir);
  Status fill_new_cpusets(const std::vector<std::string>& created);

  Status apply_memory(const std::string& dir, const MemoryResources& m);
  Status apply_cpu(const std::string& dir, const CpuResources& c);
  Status apply_cpuset(const std::string& dir, const CpuResources& c);
  Status apply_blkio(const std::string& dir, const BlockIoResources& b);
  Status apply_hugetlb(const std::string& dir, const std::vector<HugepageLimit>& limits);
  Status apply_devices(const std::string& dir, const std::vector<DeviceRule>& rules);

  std::vector<V1Hierarchy> hierarchies_;
  bool rootless_;
};

}  // namespace berth::runtime::cgroups
