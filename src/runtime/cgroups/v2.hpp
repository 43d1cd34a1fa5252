#pragma once

#include <map>
#include <string>
#include <vector>

#include "runtime/cgroups/cgroup.hpp"

namespace berth::runtime::cgroups {

class V2Cgroup : public Cgroup {
 public:
  // mount: where the cgroup2 hierarchy is mounted; dir: the container's cgroup under it.
  // enable_controllers: create() turns on every available controller down to the parent of dir
  // (pure v2); hybrid leaves them alone and calls enable() for what it needs.
  V2Cgroup(std::string mount, std::string dir, bool rootless, bool enable_controllers)
      : mount_(std::move(mount)),
        dir_(std::move(dir)),
        rootless_(rootless),
        enable_controllers_(enable_controllers) {}

  Mode mode() const override { return Mode::v2; }
  Status create() override;
  Status add_process(pid_t pid) override;
  Status apply(const Resources& resources) override;
  Status freeze() override;
  Status thaw() override;
  Result<bool> frozen() override;
  Result<std::vector<pid_t>> pids() override;
  Status destroy() override;
  Result<int> open_v2_dir_fd() override;
  nlohmann::json paths() const override;

  const std::string& dir() const { return dir_; }
  bool usable() const { return usable_; }
  // For a container whose cgroup rootless could not create (load() of such a state).
  void mark_unusable() { usable_ = false; }
  // For a container whose cgroup was created (load() of a state that names it).
  void mark_existing() { existing_ = true; }
  // Controllers the hierarchy offers (cgroup.controllers of its root).
  Result<std::vector<std::string>> available() const;
  // Writes "+name" into cgroup.subtree_control from the root down to dir's parent.
  Status enable(const std::vector<std::string>& controllers);

 private:
  Status check_usable(const std::string& what) const;
  Status apply_memory(const MemoryResources& m);
  Status apply_cpu(const CpuResources& c);
  Status apply_io(const BlockIoResources& b);
  Status apply_devices(const std::vector<DeviceRule>& rules);
  Status apply_unified(const std::map<std::string, std::string>& unified);
  Status set_frozen(bool frozen);

  std::string mount_;
  std::string dir_;
  bool rootless_;
  bool enable_controllers_;
  bool usable_ = true;
  bool existing_ = false;
};

}  // namespace berth::runtime::cgroups
