#include "engine/oci_spec_builder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/syscalls.hpp"
#include "engine/container_defaults.hpp"
#include "engine/seccomp_default_profile.hpp"
#include "engine/seccomp_profile.hpp"
#include "engine/spec_capabilities.hpp"
#include "engine/spec_default_mounts.hpp"
#include "engine/spec_devices.hpp"
#include "engine/spec_mount_idmaps.hpp"
#include "engine/spec_namespaces.hpp"
#include "engine/spec_process.hpp"
#include "engine/spec_resources.hpp"
#include "engine/spec_security_opts.hpp"
#include "engine/spec_user.hpp"

namespace berth::engine {

namespace {

using nlohmann::json;

const char* const kMaskedPaths[] = {
    "/proc/asound",      "/proc/acpi",          "/proc/interrupts", "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",          "/sys/firmware",    "/sys/devices/virtual/powercap",
};

const char* const kReadonlyPaths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

json masked_paths() {
  json out = json::array();
  for (const char* p : kMaskedPaths) out.push_back(p);
  // Each CPU's thermal_throttle counters leak what other tenants run; Docker masks them too.
  for (int cpu = 0;; ++cpu) {
    std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu);
    if (::access(base.c_str(), F_OK) != 0) break;
    std::string p = base + "/thermal_throttle";
    if (::access(p.c_str(), F_OK) == 0) out.push_back(p);
  }
  return out;
}

json id_mappings(const std::vector<runtime::IdMapping>& maps) {
  json out = json::array();
  for (const auto& m : maps)
    out.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
  return out;
}

json mount_json(const MountEntry& m) {
  json j = {{"destination", m.destination}, {"type", m.type}, {"source", m.source}};
  if (!m.options.empty()) j["options"] = m.options;
  if (!m.uid_mappings.empty()) j["uidMappings"] = id_mappings(m.uid_mappings);
  if (!m.gid_mappings.empty()) j["gidMappings"] = id_mappings(m.gid_mappings);
  return j;
}

using IdMaps = std::vector<runtime::IdMapping>;

// The caller's volumes, matched to plan_mounts' requests by destination.
Result<std::vector<MountEntry>> resolved_volumes(const MountPlan& plan,
                                                 const std::vector<MountEntry>& given) {
  std::vector<MountEntry> out;
  for (const auto& v : plan.volumes) {
    auto it = std::find_if(given.begin(), given.end(),
                           [&](const MountEntry& m) { return m.destination == v.destination; });
    if (it == given.end())
      return fail_msg("volume " + (v.name.empty() ? std::string("(anonymous)") : quote(v.name)) +
                      " at " + v.destination + " was not resolved to a host folder");
    out.push_back(*it);
  }
  return out;
}

// /etc/hosts, /etc/hostname, /etc/resolv.conf: bound unless the user mounts something there.
void add_etc_files(const SpecInput& in, bool readonly, std::vector<MountEntry>& mounts) {
  std::set<std::string> taken;
  for (const auto& m : mounts) taken.insert(m.destination);
  auto add = [&](const std::string& source, const char* dest) {
    if (source.empty() || taken.count(dest)) return;
    std::vector<std::string> options = {"rbind", "rprivate"};
    if (readonly) options.push_back("ro");
    mounts.push_back({"bind", source, dest, options});
  };
  add(in.resolv_conf_path, "/etc/resolv.conf");
  add(in.hostname_path, "/etc/hostname");
  add(in.hosts_path, "/etc/hosts");
}

Result<json> seccomp_section(const SecurityOptions& sec, bool privileged,
                             const std::vector<std::string>& caps) {
  if (privileged || sec.seccomp == SeccompMode::unconfined) return json(nullptr);
  auto target = current_seccomp_target(caps);
  std::optional<json> resolved;
  if (sec.seccomp == SeccompMode::custom) {
    auto profile = BERTH_TRY(parse_seccomp_profile(sec.seccomp_profile));
    resolved = BERTH_TRY(resolve_seccomp_profile(profile, target));
  } else {
    resolved = BERTH_TRY(resolve_seccomp_profile(default_seccomp_profile(), target));
  }
  return resolved ? *resolved : json(nullptr);
}

struct Devices {
  json devices = json::array();
  json rules = json::array();
  std::vector<MountEntry> binds;  // rootless: the nodes are bound, the kernel refuses mknod
};

Result<Devices> device_section(const HostConfig& host, bool rootless) {
  Devices out;
  for (auto& r : default_device_rules()) out.rules.push_back(std::move(r));
  if (host.privileged && !rootless) {
    for (auto& d : BERTH_TRY(host_devices())) out.devices.push_back(std::move(d));
    out.rules = json::array({{{"allow", true}, {"access", "rwm"}}});
  }
  for (const auto& d : host.devices) {
    std::string inside = d.path_in_container.empty() ? d.path_on_host : d.path_in_container;
    if (host.privileged && !rootless && inside == d.path_on_host) continue;
    std::string perms = d.cgroup_permissions.empty() ? "rwm" : d.cgroup_permissions;
    auto grant = devices_from_path(d.path_on_host, inside, perms);
    if (!grant) return fail(grant.error().wrap("--device " + d.path_on_host));
    for (auto& [host_path, entry] : grant->nodes) {
      if (rootless) {
        out.binds.push_back({"bind", host_path, entry["path"], {"bind", "nosuid", "noexec"}});
      } else {
        out.devices.push_back(std::move(entry));
      }
    }
    if (!host.privileged)
      for (auto& r : grant->rules) out.rules.push_back(std::move(r));
  }
  return out;
}

// The host ids of the container's root when a rootful container has a user namespace; nullopt
// when root is root (or, rootless, when berth itself is the container's root).
std::optional<HostIds> container_root_owner(const SpecInput& in) {
  if (in.rootless || in.uid_mappings.empty()) return std::nullopt;
  return HostIds{host_id_of(in.uid_mappings, 0).value_or(0),
                 host_id_of(in.gid_mappings, 0).value_or(0)};
}

struct Merged {
  ContainerConfig config;
  HostConfig host;
};

Result<Merged> merged_config(const SpecInput& in) {
  Merged m{in.config, in.host_config};
  apply_create_defaults(m.config, m.host, in.container_id);
  BERTH_CHECK(merge_image_config(m.config, in.image.config));
  return m;
}

}  // namespace

Result<MountPlan> plan_container_mounts(const SpecInput& input) {
  auto m = BERTH_TRY(merged_config(input));
  return plan_mounts(m.config, m.host);
}

Result<json> build_oci_spec(const SpecInput& in) {
  auto [config, host] = BERTH_TRY(merged_config(in));

  bool user_ns = !in.uid_mappings.empty() || (in.rootless && !in.in_user_namespace);
  auto uid_maps = in.uid_mappings;
  auto gid_maps = in.gid_mappings;
  if (user_ns && uid_maps.empty()) uid_maps = {{0, ::getuid(), 1}};
  if (user_ns && gid_maps.empty()) gid_maps = {{0, ::getgid(), 1}};
  auto ns = BERTH_TRY(plan_namespaces(host, user_ns));
  auto security = BERTH_TRY(parse_security_opts(host.security_opt));
  auto caps =
      BERTH_TRY(container_capabilities(host.cap_add, host.cap_drop, host.privileged, in.rootless));
  BERTH_CHECK(check_oom_score_adj(host.oom_score_adj));

  // process
  auto root = sys::open(in.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (!root) return fail(root.error().wrap("container root"));
  auto user = BERTH_TRY(resolve_user(root->get(), config.user, host.group_add));
  // Groups the user namespace does not map cannot be joined (setgroups fails): with a single
  // mapped id, root's groups of the image (bin, daemon, ...) are left out.
  if (user_ns)
    std::erase_if(user.additional_gids, [&](uint32_t g) { return !host_id_of(gid_maps, g); });
  auto args = BERTH_TRY(container_args(config));
  bool init = host.init.value_or(false) && ns.pid;
  if (init) {
    if (in.init_path.empty()) return fail_msg("--init: no init binary (berth-init) was found");
    args.insert(args.begin(), {kContainerInitPath, "--"});
  }
  auto cwd = BERTH_TRY(container_cwd(config));
  BERTH_CHECK(ensure_working_dir(root->get(), cwd, container_root_owner(in)));
  json process = {
      {"terminal", config.tty},
      {"user", {{"uid", user.uid}, {"gid", user.gid}, {"additionalGids", user.additional_gids}}},
      {"args", args},
      {"env", container_env(config)},
      {"cwd", cwd},
      {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
      {"noNewPrivileges", security.no_new_privileges},
  };
  auto rlimits = BERTH_TRY(container_rlimits(host.ulimits));
  if (!rlimits.empty()) process["rlimits"] = rlimits;
  // Rootless, lowering the score is refused by the kernel: unset, it stays what berth has.
  if (!in.rootless || host.oom_score_adj != 0) process["oomScoreAdj"] = host.oom_score_adj;

  // mounts
  auto devices = BERTH_TRY(device_section(host, in.rootless));
  auto plan = BERTH_TRY(plan_mounts(config, host));
  std::vector<MountEntry> user_mounts = plan.mounts;
  user_mounts.insert(user_mounts.end(), devices.binds.begin(), devices.binds.end());
  for (auto& v : BERTH_TRY(resolved_volumes(plan, in.volume_mounts))) {
    // A volume holds container ids on disk, whatever map the container that uses it has.
    if (in.idmap_volumes && user_ns) v.idmap = "idmap";
    user_mounts.push_back(std::move(v));
  }
  // Rootless, the maps (and the owners stat gives) are in the numbering of berth's namespace.
  MountUser mount_user{user.uid, user.gid, user_ns ? uid_maps : IdMaps{},
                       user_ns ? gid_maps : IdMaps{}, in.rootless};
  BERTH_CHECK(resolve_mount_idmaps(user_mounts, mount_user));
  add_etc_files(in, host.readonly_rootfs, user_mounts);
  if (init) user_mounts.push_back({"bind", in.init_path, kContainerInitPath, {"bind", "ro"}});
  DefaultMountOptions mount_options;
  mount_options.privileged = host.privileged;
  mount_options.readonly_rootfs = host.readonly_rootfs;
  mount_options.shm_size = host.shm_size;
  mount_options.ipc_mode = host.ipc_mode;
  json mounts = json::array();
  for (const auto& m : container_mounts(mount_options, std::move(user_mounts)))
    mounts.push_back(mount_json(m));

  // linux
  json linux_section = json::object();
  json namespaces = json::array();
  for (const auto& type : ns.types()) namespaces.push_back({{"type", type}});
  linux_section["namespaces"] = namespaces;
  if (user_ns) {
    linux_section["uidMappings"] = id_mappings(uid_maps);
    linux_section["gidMappings"] = id_mappings(gid_maps);
  }
  linux_section["devices"] = devices.devices;
  auto resources = BERTH_TRY(
      container_resources(host, {in.rootless, in.delegated_cgroup, in.delegated_controllers}));
  // Rootless, the user namespace already keeps devices out, and device cgroup rules would need
  // privileges the user lacks (a BPF program on cgroup v2).
  if (!in.rootless) resources["devices"] = devices.rules;
  if (!resources.empty()) linux_section["resources"] = resources;
  if (!in.cgroups_path.empty()) linux_section["cgroupsPath"] = in.cgroups_path;
  auto sysctls = BERTH_TRY(container_sysctls(
      host.sysctls, {ns.network, ns.ipc, ns.uts, user_ns || in.in_user_namespace}));
  if (!sysctls.empty()) linux_section["sysctl"] = sysctls;
  auto seccomp = BERTH_TRY(seccomp_section(security, host.privileged, caps));
  if (!seccomp.is_null()) linux_section["seccomp"] = seccomp;
  if (!host.privileged) {
    linux_section["maskedPaths"] = masked_paths();
    json readonly = json::array();
    for (const char* path : kReadonlyPaths) readonly.push_back(path);
    linux_section["readonlyPaths"] = readonly;
  }

  json spec = {
      {"ociVersion", "1.0.2"},
      {"process", process},
      {"root", {{"path", in.rootfs}, {"readonly", host.readonly_rootfs}}},
      {"mounts", mounts},
      {"linux", linux_section},
  };
  if (ns.uts) {
    spec["hostname"] = config.hostname;
    if (!config.domainname.empty()) spec["domainname"] = config.domainname;
  }
  return spec;
}

}  // namespace berth::engine
