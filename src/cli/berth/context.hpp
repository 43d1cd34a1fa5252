#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/container_service.hpp"
#include "engine/daemon_config.hpp"
#include "engine/image_service.hpp"
#include "engine/paths.hpp"

namespace berth::cli {

// The global flags, before they are merged with daemon.json and the defaults.
struct GlobalOptions {
  std::string data_root;
  std::string exec_root;
  std::string config_dir;   // Docker's --config: where config.json (credentials) lives
  std::string config_file;  // daemon.json
  std::vector<std::string> insecure_registries;
  bool debug = false;
  std::string userns_remap;
};

// What every command works with: the resolved paths and configuration, and the services, opened
// on first use so that `berth version` touches no state.
class Context {
 public:
  static Result<std::unique_ptr<Context>> make(const GlobalOptions& options);

  const engine::Paths& paths() const { return paths_; }
  const engine::DaemonConfig& daemon_config() const { return daemon_; }
  bool rootless() const { return rootless_; }
  const image::RegistryConfig& registry_config() const { return registry_; }
  Result<engine::ImageService*> images();
  Result<engine::ContainerService*> containers();
  // Called first by the commands that start a container, so that the kernel's grace period for
  // its cgroup move runs meanwhile (runtime/cgroups/move_primer.hpp). Root only. Not for exec,
  // whose runtime clones its process in this one (clone3, no fork handlers) and allocates there.
  void expect_cgroup_move() const;
  // The command line, for a command that must run again from a read-only mount of berth.
  char** argv() const { return argv_; }
  void set_argv(char** argv) { argv_ = argv; }

 private:
  engine::Paths paths_;
  engine::DaemonConfig daemon_;
  bool rootless_ = false;
  image::RegistryConfig registry_;
  std::unique_ptr<engine::ImageService> images_;
  std::unique_ptr<engine::ContainerService> containers_;
  char** argv_ = nullptr;
};

}  // namespace berth::cli
