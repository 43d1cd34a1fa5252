#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

// Device nodes of the host given to a container (`--device`, `--privileged`), as OCI
// `linux.devices` entries and `linux.resources.devices` rules.
namespace berth::engine {

struct DeviceNode {
  std::string host_path;  // the node on the host (a rootless container gets it bound)
  nlohmann::json entry;   // its linux.devices entry, at the container's path
};

struct DeviceGrant {
  std::vector<DeviceNode> nodes;
  std::vector<nlohmann::json> rules;  // linux.resources.devices entries
};

// `--device HOST[:CONTAINER[:PERMS]]` once parsed: a device node, or a directory whose device
// nodes all go under the container path. A path that is neither is an error naming it.
Result<DeviceGrant> devices_from_path(const std::string& path_on_host,
                                      const std::string& path_in_container,
                                      const std::string& permissions);

// Every device node under the host's /dev but pts, shm, mqueue, fd and /dev/console, for
// --privileged (what Docker gives).
Result<std::vector<nlohmann::json>> host_devices();

// Docker's default device cgroup rules: deny all, then allow null, zero, urandom, random, tty,
// console; /dev/fuse (10:229) stays denied. The runtime adds the devices every container may use.
std::vector<nlohmann::json> default_device_rules();

}  // namespace berth::engine
