#include <algorithm>
#include <array>

#include "base/fs.hpp"
#include "base/json_reader.hpp"
#include "base/json_text.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

namespace {

template <typename T>
Result<T> narrow(const JsonReader& r, const std::string& key, uint64_t v, uint64_t max) {
  if (v > max) return fail(r.error(key, "out of range"));
  return static_cast<T>(v);
}

Result<std::optional<uint32_t>> optional_u32(const JsonReader& r, const std::string& key) {
  auto v = BERTH_TRY(r.optional_uint(key));
  if (!v) return std::optional<uint32_t>{};
  return std::optional<uint32_t>(BERTH_TRY(narrow<uint32_t>(r, key, *v, UINT32_MAX)));
}

Result<uint32_t> u32(const JsonReader& r, const std::string& key, bool required) {
  if (required && !r.has(key)) return fail(r.error(key, "missing"));
  auto v = BERTH_TRY(optional_u32(r, key));
  return v.value_or(0);
}

Result<std::vector<IdMapping>> parse_mappings(const JsonReader& r, const std::string& key) {
  std::vector<IdMapping> out;
  for (const auto& m : BERTH_TRY(r.array(key))) {
    BERTH_CHECK(m.expect_object());
    IdMapping id;
    id.container_id = BERTH_TRY(u32(m, "containerID", true));
    id.host_id = BERTH_TRY(u32(m, "hostID", true));
    id.size = BERTH_TRY(u32(m, "size", true));
    if (id.size == 0) return fail(m.error("size", "must be greater than 0"));
    out.push_back(id);
  }
  return out;
}

Result<Hook> parse_hook(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  Hook h;
  h.path = BERTH_TRY(r.required_string("path"));
  if (h.path.empty() || h.path[0] != '/') return fail(r.error("path", "must be an absolute path"));
  h.args = BERTH_TRY(r.strings("args"));
  h.env = BERTH_TRY(r.strings("env"));
  auto timeout = BERTH_TRY(r.optional_int("timeout"));
  if (timeout) {
    if (*timeout <= 0) return fail(r.error("timeout", "must be greater than 0"));
    h.timeout = static_cast<int>(std::min<int64_t>(*timeout, INT32_MAX));
  }
  return h;
}

Result<Hooks> parse_hooks(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  Hooks hooks;
  const std::array<std::pair<const char*, std::vector<Hook>*>, 6> kinds = {{
      {"prestart", &hooks.prestart},
      {"createRuntime", &hooks.create_runtime},
      {"createContainer", &hooks.create_container},
      {"startContainer", &hooks.start_container},
      {"poststart", &hooks.poststart},
      {"poststop", &hooks.poststop},
  }};
  for (const auto& [name, list] : kinds)
    for (const auto& h : BERTH_TRY(r.array(name))) list->push_back(BERTH_TRY(parse_hook(h)));
  return hooks;
}

Result<Capabilities> parse_capabilities(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  Capabilities c;
  c.bounding = BERTH_TRY(r.strings("bounding"));
  c.effective = BERTH_TRY(r.strings("effective"));
  c.inheritable = BERTH_TRY(r.strings("inheritable"));
  c.permitted = BERTH_TRY(r.strings("permitted"));
  c.ambient = BERTH_TRY(r.strings("ambient"));
  return c;
}

Result<Mount> parse_mount(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  Mount m;
  m.destination = BERTH_TRY(r.required_string("destination"));
  if (m.destination.empty() || m.destination[0] != '/')
    return fail(r.error("destination", "must be an absolute path: " + quote(m.destination)));
  m.type = BERTH_TRY(r.string("type"));
  m.source = BERTH_TRY(r.string("source"));
  m.options = BERTH_TRY(r.strings("options"));
  m.uid_mappings = BERTH_TRY(parse_mappings(r, "uidMappings"));
  m.gid_mappings = BERTH_TRY(parse_mappings(r, "gidMappings"));
  return m;
}

const std::array<const char*, 8> kNamespaceTypes = {"pid", "network", "mount",  "ipc",
                                                    "uts", "user",    "cgroup", "time"};

Result<std::vector<Namespace>> parse_namespaces(const JsonReader& r) {
  std::vector<Namespace> out;
  for (const auto& n : BERTH_TRY(r.array("namespaces"))) {
    BERTH_CHECK(n.expect_object());
    Namespace ns;
    ns.type = BERTH_TRY(n.required_string("type"));
    if (std::find(kNamespaceTypes.begin(), kNamespaceTypes.end(), ns.type) == kNamespaceTypes.end())
      return fail(n.error("type", "unknown namespace type " + quote(ns.type)));
    for (const auto& seen : out)
      if (seen.type == ns.type)
        return fail(n.error("type", "duplicate namespace " + quote(ns.type)));
    ns.path = BERTH_TRY(n.string("path"));
    if (!ns.path.empty() && ns.path[0] != '/')
      return fail(n.error("path", "must be an absolute path"));
    out.push_back(ns);
  }
  return out;
}

Result<Device> parse_device(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  Device d;
  d.path = BERTH_TRY(r.required_string("path"));
  if (d.path.empty() || d.path[0] != '/') return fail(r.error("path", "must be an absolute path"));
  auto type = BERTH_TRY(r.required_string("type"));
  if (type.size() != 1 || std::string("cbup").find(type[0]) == std::string::npos)
    return fail(r.error("type", "must be one of c, b, u, p: " + quote(type)));
  d.type = type[0];
  if (d.type != 'p') {
    auto major = BERTH_TRY(r.optional_int("major"));
    auto minor = BERTH_TRY(r.optional_int("minor"));
    if (!major) return fail(r.error("major", "missing"));
    if (!minor) return fail(r.error("minor", "missing"));
    d.major = *major;
    d.minor = *minor;
  }
  d.file_mode = BERTH_TRY(optional_u32(r, "fileMode"));
  d.uid = BERTH_TRY(optional_u32(r, "uid"));
  d.gid = BERTH_TRY(optional_u32(r, "gid"));
  return d;
}

Result<Seccomp> parse_seccomp(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  Seccomp s;
  s.default_action = BERTH_TRY(r.required_string("defaultAction"));
  s.default_errno_ret = BERTH_TRY(optional_u32(r, "defaultErrnoRet"));
  s.architectures = BERTH_TRY(r.strings("architectures"));
  s.flags = BERTH_TRY(r.strings("flags"));
  s.listener_path = BERTH_TRY(r.string("listenerPath"));
  s.listener_metadata = BERTH_TRY(r.string("listenerMetadata"));
  for (const auto& sc : BERTH_TRY(r.array("syscalls"))) {
    BERTH_CHECK(sc.expect_object());
    SeccompSyscall call;
    call.names = BERTH_TRY(sc.strings("names"));
    if (call.names.empty()) return fail(sc.error("names", "must name at least one syscall"));
    call.action = BERTH_TRY(sc.required_string("action"));
    call.errno_ret = BERTH_TRY(optional_u32(sc, "errnoRet"));
    for (const auto& a : BERTH_TRY(sc.array("args"))) {
      BERTH_CHECK(a.expect_object());
      SeccompArg arg;
      arg.index = BERTH_TRY(u32(a, "index", true));
      arg.value = BERTH_TRY(a.optional_uint("value")).value_or(0);
      arg.value_two = BERTH_TRY(a.optional_uint("valueTwo")).value_or(0);
      arg.op = BERTH_TRY(a.required_string("op"));
      call.args.push_back(arg);
    }
    s.syscalls.push_back(std::move(call));
  }
  return s;
}

Result<std::vector<ThrottleDevice>> parse_throttle(const JsonReader& r, const std::string& key) {
  std::vector<ThrottleDevice> out;
  for (const auto& t : BERTH_TRY(r.array(key))) {
    BERTH_CHECK(t.expect_object());
    ThrottleDevice d;
    d.major = BERTH_TRY(t.optional_int("major")).value_or(0);
    d.minor = BERTH_TRY(t.optional_int("minor")).value_or(0);
    d.rate = BERTH_TRY(t.optional_uint("rate")).value_or(0);
    out.push_back(d);
  }
  return out;
}

Result<std::optional<uint16_t>> optional_u16(const JsonReader& r, const std::string& key) {
  auto v = BERTH_TRY(r.optional_uint(key));
  if (!v) return std::optional<uint16_t>{};
  return std::optional<uint16_t>(BERTH_TRY(narrow<uint16_t>(r, key, *v, UINT16_MAX)));
}

Result<Personality> parse_personality(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  Personality p;
  p.domain = BERTH_TRY(r.required_string("domain"));
  p.flags = BERTH_TRY(r.strings("flags"));
  return p;
}

Result<Linux> parse_linux(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  Linux l;
  l.namespaces = BERTH_TRY(parse_namespaces(r));
  l.uid_mappings = BERTH_TRY(parse_mappings(r, "uidMappings"));
  l.gid_mappings = BERTH_TRY(parse_mappings(r, "gidMappings"));
  if (auto t = r.optional_object("timeOffsets")) {
    BERTH_CHECK(t->expect_object());
    for (const auto& [clock, v] : t->json().items()) {
      if (clock != "monotonic" && clock != "boottime")
        return fail(t->error(clock, "unknown clock (monotonic or boottime)"));
      JsonReader off(v, t->field_path(clock));
      BERTH_CHECK(off.expect_object());
      TimeOffset o;
      o.secs = BERTH_TRY(off.optional_int("secs")).value_or(0);
      o.nanosecs = BERTH_TRY(u32(off, "nanosecs", false));
      l.time_offsets[clock] = o;
    }
  }
  for (const auto& d : BERTH_TRY(r.array("devices")))
    l.devices.push_back(BERTH_TRY(parse_device(d)));
  l.cgroups_path = BERTH_TRY(r.string("cgroupsPath"));
  if (auto res = r.optional_object("resources")) {
    auto parsed = parse_resources(res->json());
    if (!parsed) return fail(parsed.error().wrap("linux.resources"));
    l.resources = std::move(*parsed);
  }
  l.rootfs_propagation = BERTH_TRY(r.string("rootfsPropagation"));
  l.sysctl = BERTH_TRY(r.string_map("sysctl"));
  if (auto s = r.optional_object("seccomp")) l.seccomp = BERTH_TRY(parse_seccomp(*s));
  l.masked_paths = BERTH_TRY(r.strings("maskedPaths"));
  l.readonly_paths = BERTH_TRY(r.strings("readonlyPaths"));
  l.mount_label = BERTH_TRY(r.string("mountLabel"));
  if (auto p = r.optional_object("personality")) l.personality = BERTH_TRY(parse_personality(*p));
  return l;
}

Result<Process> parse_process_reader(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  Process p;
  p.terminal = BERTH_TRY(r.boolean("terminal"));
  if (auto cs = r.optional_object("consoleSize")) {
    BERTH_CHECK(cs->expect_object());
    p.console_size =
        ConsoleSize{BERTH_TRY(u32(*cs, "height", true)), BERTH_TRY(u32(*cs, "width", true))};
  }
  auto user = BERTH_TRY(r.object("user"));
  p.user.uid = BERTH_TRY(u32(user, "uid", true));
  p.user.gid = BERTH_TRY(u32(user, "gid", true));
  p.user.umask = BERTH_TRY(optional_u32(user, "umask"));
  if (user.has("additionalGids")) {
    for (const auto& g : BERTH_TRY(user.array("additionalGids"))) {
      if (!g.json().is_number_unsigned() || g.json().get<uint64_t>() > UINT32_MAX)
        return fail(plain_error(g.path() + ": must be a gid"));
      p.user.additional_gids.push_back(g.json().get<uint32_t>());
    }
  }
  p.args = BERTH_TRY(r.strings("args"));
  if (p.args.empty()) return fail(r.error("args", "must name the program to run"));
  p.env = BERTH_TRY(r.strings("env"));
  p.cwd = BERTH_TRY(r.required_string("cwd"));
  if (p.cwd.empty() || p.cwd[0] != '/') return fail(r.error("cwd", "must be an absolute path"));
  if (auto caps = r.optional_object("capabilities"))
    p.capabilities = BERTH_TRY(parse_capabilities(*caps));
  for (const auto& rl : BERTH_TRY(r.array("rlimits"))) {
    BERTH_CHECK(rl.expect_object());
    Rlimit limit;
    limit.type = BERTH_TRY(rl.required_string("type"));
    if (!rl.has("hard")) return fail(rl.error("hard", "missing"));
    if (!rl.has("soft")) return fail(rl.error("soft", "missing"));
    limit.hard = *BERTH_TRY(rl.optional_uint("hard"));
    limit.soft = *BERTH_TRY(rl.optional_uint("soft"));
    p.rlimits.push_back(limit);
  }
  p.no_new_privileges = BERTH_TRY(r.boolean("noNewPrivileges"));
  p.apparmor_profile = BERTH_TRY(r.string("apparmorProfile"));
  if (auto oom = BERTH_TRY(r.optional_int("oomScoreAdj"))) {
    if (*oom < -1000 || *oom > 1000) return fail(r.error("oomScoreAdj", "must be in -1000..1000"));
    p.oom_score_adj = static_cast<int>(*oom);
  }
  p.selinux_label = BERTH_TRY(r.string("selinuxLabel"));
  return p;
}

}  // namespace

const Namespace* Linux::find_namespace(const std::string& type) const {
  for (const auto& ns : namespaces)
    if (ns.type == type) return &ns;
  return nullptr;
}

nlohmann::json hooks_to_json(const std::vector<Hook>& hooks) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : hooks) {
    nlohmann::json j = {{"path", h.path}, {"args", h.args}, {"env", h.env}};
    if (h.timeout) j["timeout"] = *h.timeout;
    out.push_back(std::move(j));
  }
  return out;
}

Result<std::vector<Hook>> hooks_from_json(const nlohmann::json& j, const std::string& field) {
  nlohmann::json holder = {{field, j}};
  std::vector<Hook> out;
  for (const auto& h : BERTH_TRY(JsonReader(holder, "").array(field)))
    out.push_back(BERTH_TRY(parse_hook(h)));
  return out;
}

Result<Process> parse_process(const nlohmann::json& j) {
  return parse_process_reader(JsonReader(j, "process"));
}

Result<Resources> parse_resources(const nlohmann::json& j) {
  JsonReader r(j, "");
  BERTH_CHECK(r.expect_object());
  Resources res;
  for (const auto& d : BERTH_TRY(r.array("devices"))) {
    BERTH_CHECK(d.expect_object());
    DeviceRule rule;
    rule.allow = BERTH_TRY(d.boolean("allow"));
    rule.type = BERTH_TRY(d.string("type", "a"));
    if (rule.type != "a" && rule.type != "c" && rule.type != "b")
      return fail(d.error("type", "must be a, c or b: " + quote(rule.type)));
    rule.major = BERTH_TRY(d.optional_int("major"));
    rule.minor = BERTH_TRY(d.optional_int("minor"));
    rule.access = BERTH_TRY(d.string("access", "rwm"));
    if (rule.access.find_first_not_of("rwm") != std::string::npos)
      return fail(d.error("access", "must be made of r, w, m: " + quote(rule.access)));
    res.devices.push_back(rule);
  }
  if (auto m = r.optional_object("memory")) {
    BERTH_CHECK(m->expect_object());
    MemoryResources mem;
    mem.limit = BERTH_TRY(m->optional_int("limit"));
    mem.reservation = BERTH_TRY(m->optional_int("reservation"));
    mem.swap = BERTH_TRY(m->optional_int("swap"));
    mem.kernel = BERTH_TRY(m->optional_int("kernel"));
    mem.kernel_tcp = BERTH_TRY(m->optional_int("kernelTCP"));
    mem.swappiness = BERTH_TRY(m->optional_uint("swappiness"));
    mem.disable_oom_killer = BERTH_TRY(m->optional_boolean("disableOOMKiller"));
    mem.use_hierarchy = BERTH_TRY(m->optional_boolean("useHierarchy"));
    res.memory = mem;
  }
  if (auto c = r.optional_object("cpu")) {
    BERTH_CHECK(c->expect_object());
    CpuResources cpu;
    cpu.shares = BERTH_TRY(c->optional_uint("shares"));
    cpu.quota = BERTH_TRY(c->optional_int("quota"));
    cpu.period = BERTH_TRY(c->optional_uint("period"));
    cpu.realtime_runtime = BERTH_TRY(c->optional_int("realtimeRuntime"));
    cpu.realtime_period = BERTH_TRY(c->optional_uint("realtimePeriod"));
    cpu.idle = BERTH_TRY(c->optional_int("idle"));
    cpu.cpus = BERTH_TRY(c->string("cpus"));
    cpu.mems = BERTH_TRY(c->string("mems"));
    res.cpu = cpu;
  }
  if (auto p = r.optional_object("pids")) {
    BERTH_CHECK(p->expect_object());
    res.pids_limit = BERTH_TRY(p->optional_int("limit"));
    if (!res.pids_limit) return fail(p->error("limit", "missing"));
  }
  if (auto b = r.optional_object("blockIO")) {
    BERTH_CHECK(b->expect_object());
    BlockIoResources io;
    io.weight = BERTH_TRY(optional_u16(*b, "weight"));
    io.leaf_weight = BERTH_TRY(optional_u16(*b, "leafWeight"));
    for (const auto& w : BERTH_TRY(b->array("weightDevice"))) {
      BERTH_CHECK(w.expect_object());
      WeightDevice d;
      d.major = BERTH_TRY(w.optional_int("major")).value_or(0);
      d.minor = BERTH_TRY(w.optional_int("minor")).value_or(0);
      d.weight = BERTH_TRY(optional_u16(w, "weight"));
      d.leaf_weight = BERTH_TRY(optional_u16(w, "leafWeight"));
      io.weight_device.push_back(d);
    }
    io.throttle_read_bps = BERTH_TRY(parse_throttle(*b, "throttleReadBpsDevice"));
    io.throttle_write_bps = BERTH_TRY(parse_throttle(*b, "throttleWriteBpsDevice"));
    io.throttle_read_iops = BERTH_TRY(parse_throttle(*b, "throttleReadIOPSDevice"));
    io.throttle_write_iops = BERTH_TRY(parse_throttle(*b, "throttleWriteIOPSDevice"));
    res.block_io = io;
  }
  for (const auto& h : BERTH_TRY(r.array("hugepageLimits"))) {
    BERTH_CHECK(h.expect_object());
    HugepageLimit limit;
    limit.page_size = BERTH_TRY(h.required_string("pageSize"));
    limit.limit = BERTH_TRY(h.optional_uint("limit")).value_or(0);
    res.hugepage_limits.push_back(limit);
  }
  res.unified = BERTH_TRY(r.string_map("unified"));
  if (auto n = r.optional_object("network")) {
    BERTH_CHECK(n->expect_object());
    NetworkResources net;
    net.class_id = BERTH_TRY(optional_u32(*n, "classID"));
    for (const auto& p : BERTH_TRY(n->array("priorities"))) {
      BERTH_CHECK(p.expect_object());
      net.priorities.push_back(
          {BERTH_TRY(p.required_string("name")), BERTH_TRY(u32(p, "priority", true))});
    }
    res.network = net;
  }
  return res;
}

Result<Spec> parse_spec(const nlohmann::json& j) {
  JsonReader r(j, "");
  BERTH_CHECK(r.expect_object());
  Spec s;
  s.oci_version = BERTH_TRY(r.required_string("ociVersion"));
  if (s.oci_version.rfind("1.", 0) != 0)
    return fail(r.error("ociVersion", "unsupported version " + quote(s.oci_version)));
  auto root = BERTH_TRY(r.object("root"));
  s.root_path = BERTH_TRY(root.required_string("path"));
  if (s.root_path.empty()) return fail(root.error("path", "must not be empty"));
  s.root_readonly = BERTH_TRY(root.boolean("readonly"));
  if (r.has("process"))
    s.process = BERTH_TRY(parse_process_reader(JsonReader(j["process"], "process")));
  s.hostname = BERTH_TRY(r.string("hostname"));
  s.domainname = BERTH_TRY(r.string("domainname"));
  for (const auto& m : BERTH_TRY(r.array("mounts"))) s.mounts.push_back(BERTH_TRY(parse_mount(m)));
  if (auto h = r.optional_object("hooks")) s.hooks = BERTH_TRY(parse_hooks(*h));
  s.annotations = BERTH_TRY(r.string_map("annotations"));
  if (auto l = r.optional_object("linux")) s.linux = BERTH_TRY(parse_linux(*l));
  return s;
}

Result<Spec> load_spec(const std::string& bundle_dir) {
  auto path = fs::join(bundle_dir, "config.json");
  auto text = fs::read_file(path);
  if (!text) return fail(text.error());
  auto j = BERTH_TRY(parse_json_text(*text, path));
  auto spec = parse_spec(j);
  if (!spec) return fail(spec.error().wrap(path));
  return spec;
}

}  // namespace berth::runtime
