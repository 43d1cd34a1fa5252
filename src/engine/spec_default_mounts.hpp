#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/spec_mounts.hpp"

namespace berth::engine {

struct DefaultMountOptions {
  bool privileged = false;       // /sys and /sys/fs/cgroup writable
  bool readonly_rootfs = false;  // the system mounts that are not API filesystems go read-only
  int64_t shm_size = 0;          // bytes; 0: 64 MiB
  std::string ipc_mode;          // "none": no /dev/shm; "host": the host's /dev/shm
};

// Docker's mounts (/proc, /dev, /dev/pts, /sys, /sys/fs/cgroup, /dev/mqueue, /dev/shm), less those
// a user mount replaces (and all of /dev/... when the user mounts /dev), then the user's mounts
// sorted so that a parent is mounted before what lies under it.
std::vector<MountEntry> container_mounts(const DefaultMountOptions& options,
                                         std::vector<MountEntry> user_mounts);

}  // namespace berth::engine
