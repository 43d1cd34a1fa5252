#pragma once

#include "runtime/cgroups/v1.hpp"
#include "runtime/cgroups/v2.hpp"

namespace berth::runtime::cgroups {

// v1 controllers, plus the same cgroup in the cgroup2 hierarchy at /sys/fs/cgroup/unified (as
// runc does), which also takes `unified` keys and the controllers v1 does not have.
class HybridCgroup : public Cgroup {
 public:
  HybridCgroup(V1Cgroup v1, V2Cgroup v2) : v1_(std::move(v1)), v2_(std::move(v2)) {}

  Mode mode() const override { return Mode::hybrid; }
  Status create() override;
  Status add_process(pid_t pid) override;
  Status apply(const Resources& resources) override;
  Status freeze() override;
  Status thaw() override;
  Result<bool> frozen() override;
  Result<std::vector<pid_t>> pids() override;
  Status destroy() override;
  nlohmann::json paths() const override;

 private:
  // Rootless, the v1 freezer may be out of reach while the user's delegated cgroup2 is not.
  bool v1_freezes() const { return v1_.usable("freezer") || !v2_.usable(); }

  V1Cgroup v1_;
  V2Cgroup v2_;
};

}  // namespace berth::runtime::cgroups
