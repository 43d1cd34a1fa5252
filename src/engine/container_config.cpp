#include "engine/container_config.hpp"

#include <climits>

#include "base/json_reader.hpp"

namespace berth::engine {

namespace {

using nlohmann::json;

// Go marshals a nil slice as null; the Engine API's readers take both.
json string_list(const std::vector<std::string>& v) {
  return v.empty() ? json(nullptr) : json(v);
}

json optional_list(const std::optional<std::vector<std::string>>& v) {
  return v ? json(*v) : json(nullptr);
}

json set_object(const std::vector<std::string>& keys) {
  json o = json::object();
  for (const auto& k : keys) o[k] = json::object();
  return o;
}

json string_map(const std::map<std::string, std::string>& m) {
  return m.empty() ? json::object() : json(m);
}

Result<int64_t> int64_field(const JsonReader& r, const std::string& key) {
  return BERTH_TRY(r.optional_int(key)).value_or(0);
}

Result<int> int_field(const JsonReader& r, const std::string& key) {
  int64_t v = BERTH_TRY(int64_field(r, key));
  if (v < INT_MIN || v > INT_MAX) return fail(r.error(key, "out of range"));
  return static_cast<int>(v);
}

// Cmd and Entrypoint: a list of strings, or one string (the Engine API's strslice), or null.
Result<std::optional<std::vector<std::string>>> command_field(const JsonReader& r,
                                                              const std::string& key) {
  if (!r.has(key)) return std::optional<std::vector<std::string>>{};
  const auto& v = r.json()[key];
  if (v.is_string()) return std::optional(std::vector<std::string>{v.get<std::string>()});
  return std::optional(BERTH_TRY(r.strings(key)));
}

Result<std::optional<BindOptions>> bind_options(const JsonReader& m) {
  auto r = m.optional_object("BindOptions");
  if (!r) return std::optional<BindOptions>{};
  BERTH_CHECK(r->expect_object());
  BindOptions b;
  b.propagation = BERTH_TRY(r->string("Propagation"));
  b.non_recursive = BERTH_TRY(r->boolean("NonRecursive"));
  b.create_mountpoint = BERTH_TRY(r->boolean("CreateMountpoint"));
  b.read_only_non_recursive = BERTH_TRY(r->boolean("ReadOnlyNonRecursive"));
  b.idmap = BERTH_TRY(r->string("Idmap"));
  b.read_only_force_recursive = BERTH_TRY(r->boolean("ReadOnlyForceRecursive"));
  return std::optional(b);
}

Result<std::optional<VolumeOptions>> volume_options(const JsonReader& m) {
  auto r = m.optional_object("VolumeOptions");
  if (!r) return std::optional<VolumeOptions>{};
  BERTH_CHECK(r->expect_object());
  VolumeOptions v;
  v.no_copy = BERTH_TRY(r->boolean("NoCopy"));
  v.labels = BERTH_TRY(r->string_map("Labels"));
  v.subpath = BERTH_TRY(r->string("Subpath"));
  if (auto d = r->optional_object("DriverConfig")) {
    BERTH_CHECK(d->expect_object());
    VolumeDriverConfig dc;
    dc.name = BERTH_TRY(d->string("Name"));
    dc.options = BERTH_TRY(d->string_map("Options"));
    v.driver_config = dc;
  }
  return std::optional(v);
}

Result<std::optional<TmpfsOptions>> tmpfs_options(const JsonReader& m) {
  auto r = m.optional_object("TmpfsOptions");
  if (!r) return std::optional<TmpfsOptions>{};
  BERTH_CHECK(r->expect_object());
  TmpfsOptions t;
  t.size_bytes = BERTH_TRY(int64_field(*r, "SizeBytes"));
  if (t.size_bytes < 0) return fail(r->error("SizeBytes", "must not be negative"));
  auto mode = BERTH_TRY(r->optional_uint("Mode")).value_or(0);
  if (mode > 07777) return fail(r->error("Mode", "must be permission bits (at most 07777)"));
  t.mode = static_cast<uint32_t>(mode);
  return std::optional(t);
}

Result<std::vector<DeviceMapping>> devices(const JsonReader& h) {
  std::vector<DeviceMapping> out;
  for (const auto& d : BERTH_TRY(h.array("Devices"))) {
    BERTH_CHECK(d.expect_object());
    DeviceMapping m;
    m.path_on_host = BERTH_TRY(d.string("PathOnHost"));
    m.path_in_container = BERTH_TRY(d.string("PathInContainer"));
    m.cgroup_permissions = BERTH_TRY(d.string("CgroupPermissions"));
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<Ulimit>> ulimits(const JsonReader& h) {
  std::vector<Ulimit> out;
  for (const auto& u : BERTH_TRY(h.array("Ulimits"))) {
    BERTH_CHECK(u.expect_object());
    Ulimit l;
    l.name = BERTH_TRY(u.required_string("Name"));
    l.soft = BERTH_TRY(int64_field(u, "Soft"));
    l.hard = BERTH_TRY(int64_field(u, "Hard"));
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

json to_json(const ContainerConfig& c) {
  json j = {
      {"Hostname", c.hostname},
      {"Domainname", c.domainname},
      {"User", c.user},
      {"AttachStdin", c.attach_stdin},
      {"AttachStdout", c.attach_stdout},
      {"AttachStderr", c.attach_stderr},
      {"Tty", c.tty},
      {"OpenStdin", c.open_stdin},
      {"StdinOnce", c.stdin_once},
      {"Env", string_list(c.env)},
      {"Cmd", optional_list(c.cmd)},
      {"Image", c.image},
      {"Volumes", c.volumes.empty() ? json(nullptr) : set_object(c.volumes)},
      {"WorkingDir", c.working_dir},
      {"Entrypoint", optional_list(c.entrypoint)},
      {"OnBuild", nullptr},
      {"Labels", string_map(c.labels)},
  };
  if (!c.exposed_ports.empty()) j["ExposedPorts"] = set_object(c.exposed_ports);
  if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
  if (c.stop_timeout) j["StopTimeout"] = *c.stop_timeout;
  if (!c.healthcheck.is_null()) j["Healthcheck"] = c.healthcheck;
  return j;
}

json to_json(const MountSpec& m) {
  json j = {{"Type", m.type}, {"Source", m.source}, {"Target", m.target}};
  if (m.read_only) j["ReadOnly"] = true;
  if (!m.consistency.empty()) j["Consistency"] = m.consistency;
  if (const auto& b = m.bind_options) {
    json o = json::object();
    if (!b->propagation.empty()) o["Propagation"] = b->propagation;
    if (b->non_recursive) o["NonRecursive"] = true;
    if (b->create_mountpoint) o["CreateMountpoint"] = true;
    if (b->read_only_non_recursive) o["ReadOnlyNonRecursive"] = true;
    if (!b->idmap.empty()) o["Idmap"] = b->idmap;
    if (b->read_only_force_recursive) o["ReadOnlyForceRecursive"] = true;
    j["BindOptions"] = o;
  }
  if (const auto& v = m.volume_options) {
    json o = json::object();
    if (v->no_copy) o["NoCopy"] = true;
    if (!v->labels.empty()) o["Labels"] = v->labels;
    if (!v->subpath.empty()) o["Subpath"] = v->subpath;
    if (const auto& d = v->driver_config) {
      json dc = json::object();
      if (!d->name.empty()) dc["Name"] = d->name;
      if (!d->options.empty()) dc["Options"] = d->options;
      o["DriverConfig"] = dc;
    }
    j["VolumeOptions"] = o;
  }
  if (const auto& t = m.tmpfs_options) {
    json o = json::object();
    if (t->size_bytes != 0) o["SizeBytes"] = t->size_bytes;
    if (t->mode != 0) o["Mode"] = t->mode;
    j["TmpfsOptions"] = o;
  }
  return j;
}

json to_json(const HostConfig& h) {
  json devs = json::array();
  for (const auto& d : h.devices)
    devs.push_back({{"PathOnHost", d.path_on_host},
                    {"PathInContainer", d.path_in_container},
                    {"CgroupPermissions", d.cgroup_permissions}});
  json ulims = json::array();
  for (const auto& u : h.ulimits)
    ulims.push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
  json j = {
      {"Binds", string_list(h.binds)},
      {"LogConfig", {{"Type", h.log_config.type}, {"Config", string_map(h.log_config.config)}}},
      {"NetworkMode", h.network_mode},
      {"RestartPolicy",
       {{"Name", h.restart_policy.name},
        {"MaximumRetryCount", h.restart_policy.maximum_retry_count}}},
      {"AutoRemove", h.auto_remove},
      {"CapAdd", string_list(h.cap_add)},
      {"CapDrop", string_list(h.cap_drop)},
      {"CgroupnsMode", h.cgroupns_mode},
      {"Dns", h.dns},
      {"DnsOptions", h.dns_options},
      {"DnsSearch", h.dns_search},
      {"ExtraHosts", string_list(h.extra_hosts)},
      {"GroupAdd", string_list(h.group_add)},
      {"IpcMode", h.ipc_mode},
      {"OomScoreAdj", h.oom_score_adj},
      {"PidMode", h.pid_mode},
      {"Privileged", h.privileged},
      {"ReadonlyRootfs", h.readonly_rootfs},
      {"SecurityOpt", string_list(h.security_opt)},
      {"UTSMode", h.uts_mode},
      {"UsernsMode", h.userns_mode},
      {"ShmSize", h.shm_size},
      {"CpuShares", h.cpu_shares},
      {"Memory", h.memory},
      {"NanoCpus", h.nano_cpus},
      {"CpuPeriod", h.cpu_period},
      {"CpuQuota", h.cpu_quota},
      {"Devices", devs},
      {"MemorySwap", h.memory_swap},
      {"PidsLimit", h.pids_limit ? json(*h.pids_limit) : json(nullptr)},
      {"Ulimits", ulims},
  };
  if (!h.tmpfs.empty()) j["Tmpfs"] = h.tmpfs;
  if (!h.sysctls.empty()) j["Sysctls"] = h.sysctls;
  if (!h.mounts.empty()) {
    json ms = json::array();
    for (const auto& m : h.mounts) ms.push_back(to_json(m));
    j["Mounts"] = ms;
  }
  if (h.init) j["Init"] = *h.init;
  return j;
}

json create_body_to_json(const CreateRequest& r) {
  json j = to_json(r.config);
  j["HostConfig"] = to_json(r.host_config);
  return j;
}

Result<ContainerConfig> container_config_from_json(const json& j, const std::string& path) {
  JsonReader r(j, path);
  BERTH_CHECK(r.expect_object());
  ContainerConfig c;
  c.hostname = BERTH_TRY(r.string("Hostname"));
  c.domainname = BERTH_TRY(r.string("Domainname"));
  c.user = BERTH_TRY(r.string("User"));
  c.attach_stdin = BERTH_TRY(r.boolean("AttachStdin"));
  c.attach_stdout = BERTH_TRY(r.boolean("AttachStdout"));
  c.attach_stderr = BERTH_TRY(r.boolean("AttachStderr"));
  c.exposed_ports = BERTH_TRY(r.object_keys("ExposedPorts"));
  c.tty = BERTH_TRY(r.boolean("Tty"));
  c.open_stdin = BERTH_TRY(r.boolean("OpenStdin"));
  c.stdin_once = BERTH_TRY(r.boolean("StdinOnce"));
  c.env = BERTH_TRY(r.strings("Env"));
  c.cmd = BERTH_TRY(command_field(r, "Cmd"));
  c.image = BERTH_TRY(r.string("Image"));
  c.volumes = BERTH_TRY(r.object_keys("Volumes"));
  c.working_dir = BERTH_TRY(r.string("WorkingDir"));
  c.entrypoint = BERTH_TRY(command_field(r, "Entrypoint"));
  c.labels = BERTH_TRY(r.string_map("Labels"));
  c.stop_signal = BERTH_TRY(r.string("StopSignal"));
  if (r.has("StopTimeout")) c.stop_timeout = BERTH_TRY(int_field(r, "StopTimeout"));
  if (r.has("Healthcheck")) {
    c.healthcheck = j["Healthcheck"];
    if (!c.healthcheck.is_object()) return fail(r.error("Healthcheck", "must be an object"));
  }
  return c;
}

Result<MountSpec> mount_spec_from_json(const json& j, const std::string& path) {
  JsonReader r(j, path);
  BERTH_CHECK(r.expect_object());
  MountSpec m;
  m.type = BERTH_TRY(r.string("Type"));
  m.source = BERTH_TRY(r.string("Source"));
  m.target = BERTH_TRY(r.string("Target"));
  m.read_only = BERTH_TRY(r.boolean("ReadOnly"));
  m.consistency = BERTH_TRY(r.string("Consistency"));
  m.bind_options = BERTH_TRY(bind_options(r));
  m.volume_options = BERTH_TRY(volume_options(r));
  m.tmpfs_options = BERTH_TRY(tmpfs_options(r));
  return m;
}

Result<HostConfig> host_config_from_json(const json& j, const std::string& path) {
  JsonReader r(j, path);
  BERTH_CHECK(r.expect_object());
  HostConfig h;
  h.binds = BERTH_TRY(r.strings("Binds"));
  if (auto l = r.optional_object("LogConfig")) {
    BERTH_CHECK(l->expect_object());
    h.log_config.type = BERTH_TRY(l->string("Type"));
    h.log_config.config = BERTH_TRY(l->string_map("Config"));
  }
  h.network_mode = BERTH_TRY(r.string("NetworkMode"));
  if (auto p = r.optional_object("RestartPolicy")) {
    BERTH_CHECK(p->expect_object());
    h.restart_policy.name = BERTH_TRY(p->string("Name"));
    h.restart_policy.maximum_retry_count = BERTH_TRY(int_field(*p, "MaximumRetryCount"));
  }
  h.auto_remove = BERTH_TRY(r.boolean("AutoRemove"));
  h.cap_add = BERTH_TRY(r.strings("CapAdd"));
  h.cap_drop = BERTH_TRY(r.strings("CapDrop"));
  h.cgroupns_mode = BERTH_TRY(r.string("CgroupnsMode"));
  h.dns = BERTH_TRY(r.strings("Dns"));
  h.dns_options = BERTH_TRY(r.strings("DnsOptions"));
  h.dns_search = BERTH_TRY(r.strings("DnsSearch"));
  h.extra_hosts = BERTH_TRY(r.strings("ExtraHosts"));
  h.group_add = BERTH_TRY(r.strings("GroupAdd"));
  h.ipc_mode = BERTH_TRY(r.string("IpcMode"));
  h.oom_score_adj = BERTH_TRY(int_field(r, "OomScoreAdj"));
  h.pid_mode = BERTH_TRY(r.string("PidMode"));
  h.privileged = BERTH_TRY(r.boolean("Privileged"));
  h.readonly_rootfs = BERTH_TRY(r.boolean("ReadonlyRootfs"));
  h.security_opt = BERTH_TRY(r.strings("SecurityOpt"));
  h.tmpfs = BERTH_TRY(r.string_map("Tmpfs"));
  h.uts_mode = BERTH_TRY(r.string("UTSMode"));
  h.userns_mode = BERTH_TRY(r.string("UsernsMode"));
  h.shm_size = BERTH_TRY(int64_field(r, "ShmSize"));
  h.sysctls = BERTH_TRY(r.string_map("Sysctls"));
  h.cpu_shares = BERTH_TRY(int64_field(r, "CpuShares"));
  h.memory = BERTH_TRY(int64_field(r, "Memory"));
  h.nano_cpus = BERTH_TRY(int64_field(r, "NanoCpus"));
  h.cpu_period = BERTH_TRY(int64_field(r, "CpuPeriod"));
  h.cpu_quota = BERTH_TRY(int64_field(r, "CpuQuota"));
  h.devices = BERTH_TRY(devices(r));
  h.memory_swap = BERTH_TRY(int64_field(r, "MemorySwap"));
  h.pids_limit = BERTH_TRY(r.optional_int("PidsLimit"));
  h.ulimits = BERTH_TRY(ulimits(r));
  for (const auto& m : BERTH_TRY(r.array("Mounts")))
    h.mounts.push_back(BERTH_TRY(mount_spec_from_json(m.json(), m.path())));
  h.init = BERTH_TRY(r.optional_boolean("Init"));
  return h;
}

Result<CreateRequest> create_body_from_json(const json& j) {
  CreateRequest r;
  r.config = BERTH_TRY(container_config_from_json(j, ""));
  if (j.contains("HostConfig") && !j["HostConfig"].is_null())
    r.host_config = BERTH_TRY(host_config_from_json(j["HostConfig"], "HostConfig"));
  return r;
}

}  // namespace berth::engine
