#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/container_config.hpp"

namespace berth::engine {

// Which namespaces the container gets of its own; the rest it shares with the host.
struct NamespacePlan {
  bool pid = true;
  bool network = true;  // none and the default network: a network namespace with loopback only
  bool ipc = true;
  bool uts = true;
  bool cgroup = true;
  bool user = false;

  // OCI linux.namespaces entries, mount always included.
  std::vector<std::string> types() const;
};

// Reads NetworkMode, PidMode, IpcMode, UTSMode and CgroupnsMode. Modes that join another
// container ("container:NAME") and user-defined networks are refused for now, naming the mode.
Result<NamespacePlan> plan_namespaces(const HostConfig& host, bool user_namespace);

}  // namespace berth::engine
