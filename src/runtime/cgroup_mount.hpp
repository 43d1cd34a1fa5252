#pragma once

#include <cstdint>
#include <string>

#include "base/error.hpp"

namespace berth::runtime {

// A spec mount of type "cgroup" or "cgroup2": the container's own cgroups at its destination.
struct CgroupMount {
  int root_fd = -1;         // the container root
  int target_fd = -1;       // O_PATH fd of the destination, resolved in the root
  std::string destination;  // for errors and for finding the mounts made
  std::string type;         // "cgroup" or "cgroup2"
  unsigned long flags = 0;  // MS_* of the mount's options
  uint64_t attr_set = 0;    // the same as mount_setattr attributes, for binds
  uint64_t attr_clr = 0;
  bool own_namespace = false;  // the container has a cgroup namespace
};

// cgroup2 (or, when the host is v1 or hybrid, a tmpfs of v1 hierarchies and "unified"): mounted
// anew where the namespaces allow it, else the container's cgroups bound from the host.
Status mount_cgroups(const CgroupMount& m);

}  // namespace berth::runtime
