#include "engine/container_paths.hpp"

namespace berth::engine {

std::string runtime_root(const Paths& paths) {
  return paths.exec_root + "/runtime";
}

ContainerPaths container_paths(const Paths& paths, const std::string& id) {
  ContainerPaths p;
  p.data_dir = paths.data_root + "/containers/" + id;
  p.run_dir = paths.exec_root + "/containers/" + id;
  p.rootfs = p.run_dir + "/rootfs";
  p.log_path = p.data_dir + "/" + id + "-json.log";
  p.hostname_path = p.data_dir + "/hostname";
  p.hosts_path = p.data_dir + "/hosts";
  p.resolv_conf_path = p.data_dir + "/resolv.conf";
  p.runtime_root = runtime_root(paths);
  return p;
}

}  // namespace berth::engine
