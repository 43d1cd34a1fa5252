#pragma once

#include <string>

#include "engine/paths.hpp"

namespace berth::engine {

// Where one container's files live. The data dir outlives restarts of the machine (the log, the
// /etc files the container sees); the run dir lives while the container runs (its bundle, the
// monitor's files) and may be wiped with /run.
struct ContainerPaths {
  std::string data_dir;  // <data>/containers/<id>
  std::string run_dir;   // <exec>/containers/<id>: the bundle too (config.json)
  std::string rootfs;    // <run dir>/rootfs, mounted only in the mount namespace of its monitor
  std::string log_path;  // <data dir>/<id>-json.log, Docker's name
  std::string hostname_path, hosts_path, resolv_conf_path;
  std::string runtime_root;  // <exec>/runtime: the runtime library's state of every container
};

ContainerPaths container_paths(const Paths& paths, const std::string& id);
std::string runtime_root(const Paths& paths);

}  // namespace berth::engine
