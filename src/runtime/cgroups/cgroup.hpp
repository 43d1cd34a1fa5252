#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime::cgroups {

enum class Mode { v1, v2, hybrid };

// Which cgroup layout this machine has: a statfs of /sys/fs/cgroup (and of
// /sys/fs/cgroup/unified when that is a tmpfs).
Result<Mode> detect_mode();
const char* to_string(Mode mode);
// Where the cgroup2 hierarchy is mounted: /sys/fs/cgroup (v2), /sys/fs/cgroup/unified (hybrid),
// nowhere (v1: empty).
std::string unified_mount(Mode mode);

// The cgroup of one container, in every hierarchy that the machine has.
class Cgroup {
 public:
  virtual ~Cgroup() = default;

  virtual Mode mode() const = 0;
  // mkdir in every hierarchy (idempotent); on v1 a new cpuset cgroup gets its parent's cpus/mems.
  virtual Status create() = 0;
  // Writes pid to cgroup.procs in every hierarchy.
  virtual Status add_process(pid_t pid) = 0;
  // Writes the resources that are set, and only those (so `update` can reuse it).
  virtual Status apply(const Resources& resources) = 0;
  // Returns once the freezer reports the cgroup FROZEN (or thawed).
  virtual Status freeze() = 0;
  virtual Status thaw() = 0;
  virtual Result<bool> frozen() = 0;
  // Every process in the cgroup and its descendants.
  virtual Result<std::vector<pid_t>> pids() = 0;
  // rmdir in every hierarchy, descendants first; a missing dir is fine; retries briefly on EBUSY.
  virtual Status destroy() = 0;
  // An O_DIRECTORY fd of the cgroup, for clone3(CLONE_INTO_CGROUP); only on pure v2. -1 when
  // rootless could not create the cgroup.
  virtual Result<int> open_v2_dir_fd() {
    return fail_msg("clone into cgroup: not a pure cgroup v2 machine");
  }
  // The directory of each hierarchy, to save in the state file and give to load().
  virtual nlohmann::json paths() const = 0;
};

// The cgroup of container `container_id` as linux.cgroupsPath names it:
// - absolute ("/foo/bar"): relative to each hierarchy's root;
// - relative ("foo/bar"): relative to the runtime's own cgroup (on pure v2, to its parent), as
// runc;
// - empty: the container id, relative, as runc.
// The systemd form "slice:prefix:name" needs systemd_cgroup: it is translated to the cgroupfs
// directories systemd would use (slices expanded, prefix-name.scope), without D-Bus.
// rootless: a cgroup that cannot be created or joined is skipped, and apply() fails only when it
// has something to write there (devices excepted, as runc).
// Nothing is created until create().
Result<std::unique_ptr<Cgroup>> open(const std::string& cgroups_path,
                                     const std::string& container_id, bool rootless,
                                     bool systemd_cgroup);

// Reopens the cgroup of an existing container from what paths() returned.
Result<std::unique_ptr<Cgroup>> load(const nlohmann::json& paths, bool rootless);

}  // namespace berth::runtime::cgroups
