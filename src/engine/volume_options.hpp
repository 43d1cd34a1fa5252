#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.hpp"

// The options of Docker's local volume driver: type, device and o are mount(8)'s -t, device and
// -o, mounted on the volume's folder when a container uses it; size asks for a quota.
namespace berth::engine {

using VolumeOptions = std::map<std::string, std::string>;

// Docker's checks: known keys only (`invalid option: "x"`), device and type together, o only
// with both (`missing required option: "type"`), no quota (berth has no quota support).
Status check_local_volume_options(const VolumeOptions& options);

// True when the volume is a filesystem to mount rather than a plain folder.
bool local_volume_needs_mount(const VolumeOptions& options);

// What mount(2) gets for a volume: o= split into MS_* flags (ro, nosuid, nodev, noexec, bind,
// rbind, ...) and the filesystem's data string, as mount(8) splits them.
struct LocalVolumeMount {
  std::string source;  // device
  std::string type;    // type ("none" for o=bind)
  unsigned long flags = 0;
  std::string data;
  std::vector<unsigned long> propagation;  // MS_SHARED etc., applied after the mount
  bool bind = false;
};
Result<LocalVolumeMount> local_volume_mount(const VolumeOptions& options);

}  // namespace berth::engine
