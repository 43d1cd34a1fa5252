#include "engine/container_inspect.hpp"

#include "engine/container_state.hpp"
#include "engine/container_userns.hpp"
#include "engine/spec_process.hpp"

namespace berth::engine {
namespace {

using json = nlohmann::json;

// Podman's "IDMappings" shape: "container:host:size" strings; null for a container without a
// user namespace of its own.
json id_mappings_json(const json& state) {
  auto map = recorded_id_map(state);
  if (!map || !*map) return nullptr;
  auto lines = [](const std::vector<runtime::IdMapping>& maps) {
    json out = json::array();
    for (const auto& m : maps)
      out.push_back(std::to_string(m.container_id) + ":" + std::to_string(m.host_id) + ":" +
                    std::to_string(m.size));
    return out;
  };
  return {{"UidMap", lines((*map)->uids)}, {"GidMap", lines((*map)->gids)}};
}

}  // namespace

json inspect_container(const ContainerService& service, const ContainerRecord& r) {
  ContainerPaths p = service.paths_of(r.id);
  auto config = container_config_from_json(r.config);
  std::vector<std::string> command;
  if (config) command = container_args(*config).value_or(std::vector<std::string>{});
  json args = json::array();
  for (size_t i = 1; i < command.size(); ++i) args.push_back(command[i]);

  json state = r.state;
  int restart_count = restart_count_of(state);
  for (const char* key : {"MonitorPid", "MonitorStartTime", "RestartCount", "IdMap"})
    state.erase(key);
  std::string log_type = r.host_config.value("LogConfig", json::object()).value("Type", "");

  json mounts = r.state.value("Mounts", json::array());
  std::string network = r.host_config.value("NetworkMode", "default");
  return {
      {"Id", r.id},
      {"Created", r.created},
      {"Path", command.empty() ? "" : command[0]},
      {"Args", args},
      {"State", state},
      {"Image", r.image_id},
      {"ResolvConfPath", p.resolv_conf_path},
      {"HostnamePath", p.hostname_path},
      {"HostsPath", p.hosts_path},
      {"LogPath", log_type == "none" ? "" : p.log_path},
      {"Name", "/" + r.name},
      {"RestartCount", restart_count},
      {"IdMappings", id_mappings_json(r.state)},
      {"Driver", "overlay2"},
      {"Platform", "linux"},
      {"MountLabel", ""},
      {"ProcessLabel", ""},
      {"AppArmorProfile", ""},
      {"ExecIDs", nullptr},
      {"HostConfig", r.host_config},
      {"GraphDriver",
       {{"Name", "overlay2"},
        {"Data", {{"MergedDir", p.rootfs}, {"UpperDir", service.upper_dir(r.id)}}}}},
      {"Mounts", mounts},
      {"Config", r.config},
      {"NetworkSettings",
       {{"Bridge", ""},
        {"SandboxID", ""},
        {"Ports", json::object()},
        {"SandboxKey", ""},
        {"Networks",
         {{network == "default" ? "bridge" : network,
           {{"NetworkID", ""},
            {"EndpointID", ""},
            {"Gateway", ""},
            {"IPAddress", ""},
            {"IPPrefixLen", 0},
            {"MacAddress", ""}}}}}}},
  };
}

}  // namespace berth::engine
