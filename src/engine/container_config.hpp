#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

// The Docker Engine API's container create body: "Config" and "HostConfig", field for field with
// the names `docker inspect` shows. Fields berth does not act on yet are absent; unknown fields in
// input JSON are ignored, as the Engine API does.
namespace berth::engine {

// Docker's "Config".
struct ContainerConfig {
  std::string hostname;
  std::string domainname;
  std::string user;
  bool attach_stdin = false;
  bool attach_stdout = false;
  bool attach_stderr = false;
  std::vector<std::string> exposed_ports;  // "80/tcp"; an object of empty objects in JSON
  bool tty = false;
  bool open_stdin = false;
  bool stdin_once = false;
  std::vector<std::string> env;
  // nullopt is JSON null (inherit from the image); an empty list resets the image's value.
  std::optional<std::vector<std::string>> cmd;
  std::string image;
  std::vector<std::string> volumes;  // destinations; an object of empty objects in JSON
  std::string working_dir;
  std::optional<std::vector<std::string>> entrypoint;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::optional<int> stop_timeout;
  nlohmann::json healthcheck;  // Docker's HealthConfig as it came, null when absent
};

struct BindOptions {
  std::string propagation;  // private, rprivate, shared, rshared, slave, rslave
  bool non_recursive = false;
  bool create_mountpoint = false;
  bool read_only_non_recursive = false;
  bool read_only_force_recursive = false;
  std::string idmap;  // berth: "match-user", Podman's "idmap" or "idmap=uids=...;gids=..."
};

struct VolumeDriverConfig {
  std::string name;
  std::map<std::string, std::string> options;
};

struct VolumeOptions {
  bool no_copy = false;
  std::map<std::string, std::string> labels;
  std::string subpath;
  std::optional<VolumeDriverConfig> driver_config;
};

struct TmpfsOptions {
  int64_t size_bytes = 0;
  uint32_t mode = 0;  // permission bits, e.g. 01777
};

// One entry of HostConfig.Mounts (`--mount`).
struct MountSpec {
  std::string type;  // bind, volume, tmpfs
  std::string source;
  std::string target;
  bool read_only = false;
  std::string consistency;
  std::optional<BindOptions> bind_options;
  std::optional<VolumeOptions> volume_options;
  std::optional<TmpfsOptions> tmpfs_options;
};

struct DeviceMapping {
  std::string path_on_host;
  std::string path_in_container;
  std::string cgroup_permissions;  // "rwm"
};

struct Ulimit {
  std::string name;  // "nofile"
  int64_t soft = 0;
  int64_t hard = 0;
};

struct RestartPolicy {
  std::string name;  // "", no, always, unless-stopped, on-failure
  int maximum_retry_count = 0;
};

struct LogConfig {
  std::string type;  // json-file
  std::map<std::string, std::string> config;
};

// Docker's "HostConfig".
struct HostConfig {
  std::vector<std::string> binds;  // "-v SRC:DST[:OPTS]"
  LogConfig log_config;
  std::string network_mode;
  RestartPolicy restart_policy;
  bool auto_remove = false;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::string cgroupns_mode;
  std::vector<std::string> dns;
  std::vector<std::string> dns_options;
  std::vector<std::string> dns_search;
  std::vector<std::string> extra_hosts;
  std::vector<std::string> group_add;
  std::string ipc_mode;
  int oom_score_adj = 0;
  std::string pid_mode;
  bool privileged = false;
  bool readonly_rootfs = false;
  std::vector<std::string> security_opt;
  std::map<std::string, std::string> tmpfs;  // destination -> options
  std::string uts_mode;
  std::string userns_mode;
  int64_t shm_size = 0;
  std::map<std::string, std::string> sysctls;
  // Resources.
  int64_t cpu_shares = 0;
  int64_t memory = 0;
  int64_t nano_cpus = 0;
  int64_t cpu_period = 0;
  int64_t cpu_quota = 0;
  std::vector<DeviceMapping> devices;
  int64_t memory_swap = 0;
  std::optional<int64_t> pids_limit;
  std::vector<Ulimit> ulimits;
  std::vector<MountSpec> mounts;
  std::optional<bool> init;
};

// The body of POST /containers/create: Config's fields at the top level and "HostConfig".
// The name travels in the query (`?name=`), so it is kept beside the body, not in it.
struct CreateRequest {
  std::string name;
  ContainerConfig config;
  HostConfig host_config;
};

nlohmann::json to_json(const ContainerConfig& c);
nlohmann::json to_json(const HostConfig& h);
nlohmann::json to_json(const MountSpec& m);
nlohmann::json create_body_to_json(const CreateRequest& r);

// Errors name the field: `HostConfig.Mounts[1].TmpfsOptions.SizeBytes: must be an integer`.
// `path` prefixes every field name ("" for none).
Result<ContainerConfig> container_config_from_json(const nlohmann::json& j,
                                                   const std::string& path = "Config");
Result<HostConfig> host_config_from_json(const nlohmann::json& j,
                                         const std::string& path = "HostConfig");
Result<MountSpec> mount_spec_from_json(const nlohmann::json& j, const std::string& path);
// The name is left empty: it is not part of the body.
Result<CreateRequest> create_body_from_json(const nlohmann::json& j);

}  // namespace berth::engine
