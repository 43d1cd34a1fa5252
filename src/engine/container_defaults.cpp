#include "engine/container_defaults.hpp"

#include <unistd.h>

#include <algorithm>
#include <climits>

namespace berth::engine {

namespace {

std::string env_key(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

void merge_env(std::vector<std::string>& user, const std::vector<std::string>& image) {
  if (user.empty()) {
    user = image;
    return;
  }
  for (const auto& entry : image) {
    auto key = env_key(entry);
    bool found = std::any_of(user.begin(), user.end(),
                             [&](const std::string& u) { return env_key(u) == key; });
    if (!found) user.push_back(entry);
  }
}

void merge_set(std::vector<std::string>& user, const std::vector<std::string>& image) {
  for (const auto& item : image)
    if (std::find(user.begin(), user.end(), item) == user.end()) user.push_back(item);
}

bool zero_field(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return true;
  const auto& v = j[key];
  if (v.is_number()) return v.get<double>() == 0;
  if (v.is_array()) return v.empty();
  return false;
}

void merge_healthcheck(nlohmann::json& user, const nlohmann::json& image) {
  if (image.is_null()) return;
  if (user.is_null()) {
    user = image;
    return;
  }
  for (const char* key : {"Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"})
    if (zero_field(user, key) && !zero_field(image, key)) user[key] = image[key];
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) < 0) return {};
  return buf;
}

}  // namespace

Status merge_image_config(ContainerConfig& config, const image::ContainerConfig& image) {
  if (config.user.empty()) config.user = image.user;
  merge_set(config.exposed_ports, image.exposed_ports);
  merge_env(config.env, image.env);
  for (const auto& [key, value] : image.labels) config.labels.emplace(key, value);
  if (!config.entrypoint || config.entrypoint->empty()) {
    if (!config.cmd || config.cmd->empty()) config.cmd = image.cmd;
    if (!config.entrypoint) config.entrypoint = image.entrypoint;
  }
  if (config.entrypoint && config.entrypoint->size() == 1 && config.entrypoint->front().empty())
    config.entrypoint = std::vector<std::string>{};
  merge_healthcheck(config.healthcheck, image.healthcheck);
  if (config.working_dir.empty()) config.working_dir = image.working_dir;
  merge_set(config.volumes, image.volumes);
  if (config.stop_signal.empty()) config.stop_signal = image.stop_signal;
  bool no_entrypoint = !config.entrypoint || config.entrypoint->empty();
  bool no_cmd = !config.cmd || config.cmd->empty();
  if (no_entrypoint && no_cmd) return fail_msg("no command specified");
  return {};
}

void apply_create_defaults(ContainerConfig& config, HostConfig& host, const std::string& id) {
  if (config.hostname.empty()) {
    if (host.network_mode == "host" || host.uts_mode == "host") config.hostname = host_name();
    if (config.hostname.empty()) config.hostname = id.substr(0, 12);
  }
  if (host.shm_size == 0) host.shm_size = kDefaultShmSize;
  if (host.memory > 0 && host.memory_swap == 0 && host.memory <= INT64_MAX / 2)
    host.memory_swap = host.memory * 2;
  if (host.ipc_mode.empty()) host.ipc_mode = "private";
  if (host.cgroupns_mode.empty()) host.cgroupns_mode = "private";
  if (host.log_config.type.empty()) host.log_config.type = "json-file";
  if (host.restart_policy.name.empty()) host.restart_policy.name = "no";
  if (host.pids_limit && *host.pids_limit <= 0) host.pids_limit.reset();
}

}  // namespace berth::engine
