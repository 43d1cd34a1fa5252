#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.hpp"
#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "engine/container_lock.hpp"
#include "engine/container_service.hpp"
#include "engine/container_state.hpp"
#include "engine/delegated_cgroup.hpp"
#include "engine/idmap_probe.hpp"
#include "engine/monitor_launch.hpp"
#include "engine/oci_spec_builder.hpp"
#include "engine/paths.hpp"
#include "engine/private_mount_namespace.hpp"
#include "engine/spec_mount_idmaps.hpp"
#include "engine/spec_resources.hpp"
#include "engine/volume_mounts.hpp"
#include "image/digest.hpp"
#include "image/mapped_layers.hpp"
#include "monitor/json_file_log.hpp"
#include "runtime/idmapped_mounts.hpp"

namespace berth::engine {
namespace {

monitor::RestartPolicy restart_policy_of(const HostConfig& host) {
  monitor::RestartPolicy p;
  p.name = host.restart_policy.name.empty() ? "no" : host.restart_policy.name;
  p.max_retries = host.restart_policy.maximum_retry_count;
  return p;
}

Status configure_log(monitor::MonitorConfig& m, const HostConfig& host, const ContainerPaths& p) {
  const auto& log = host.log_config;
  if (log.type == "none") return {};
  if (!log.type.empty() && log.type != "json-file")
    return fail_msg("log driver " + quote(log.type) +
                    ": not supported (berth writes json-file logs, or none)");
  auto rotation = BERTH_TRY(monitor::parse_log_options(log.config));
  m.log_path = p.log_path;
  m.log_max_size = rotation.max_size;
  m.log_max_file = rotation.max_file;
  return {};
}

// The runtime mounts the root and the binds from inside the container's user namespace, whose
// root is a subordinate id: every folder on the way must let others pass (0711: pass, not list).
Status open_way_for_mapped_root(const std::string& base, const std::string& dir) {
  std::string path = base;
  std::string rest = dir.substr(base.size());
  for (size_t pos = 0;;) {
    struct stat st;
    if (::stat(path.c_str(), &st) < 0) return fail_sys("stat " + quote(path));
    if (!(st.st_mode & S_IXOTH) && ::chmod(path.c_str(), (st.st_mode & 07777) | S_IXOTH) < 0)
      return fail_sys("chmod o+x " + quote(path));
    if (pos >= rest.size()) return {};
    size_t next = rest.find('/', pos + 1);
    if (next == std::string::npos) next = rest.size();
    path += rest.substr(pos, next - pos);
    pos = next;
  }
}

}  // namespace

int start_failure_exit_code(const std::string& message) {
  if (message.find("not found") != std::string::npos ||
      message.find("no such file or directory") != std::string::npos)
    return 127;
  if (message.find("permission denied") != std::string::npos) return 126;
  return 128;
}

Result<Started> ContainerService::start(std::string_view id_or_name, const StartOptions& options) {
  ContainerRecord record = BERTH_TRY(get(id_or_name));
  ContainerPaths p = paths_of(record.id);
  auto lock = BERTH_TRY(ContainerLock::acquire(p.data_dir));
  record = BERTH_TRY(store_.get(record.id));
  if (is_active(record.state)) return Started{record, pid_of(record.state)};

  ContainerConfig config = BERTH_TRY(container_config_from_json(record.config));
  HostConfig host = BERTH_TRY(host_config_from_json(record.host_config));
  image::ImageRecord image = BERTH_TRY(images_.resolve(record.image_id));
  // A create killed between its record and its files.
  if (!fs::exists(p.hostname_path)) {
    auto lease = BERTH_TRY(images_.store().lease());
    BERTH_CHECK(prepare_files(record, BERTH_TRY(images_.store().chain_ids(image.id))));
  }

  SpecInput in;
  in.config = config;
  in.host_config = host;
  in.image = BERTH_TRY(images_.config(image));
  in.container_id = record.id;
  in.name = record.name;
  in.rootfs = p.rootfs;
  in.hosts_path = p.hosts_path;
  in.hostname_path = p.hostname_path;
  in.resolv_conf_path = p.resolv_conf_path;
  in.rootless = rootless_;
  in.in_user_namespace = rootless_ && in_user_namespace();
  auto map = BERTH_TRY(recorded_id_map(record.state));
  if (map) {
    in.uid_mappings = map->uids;
    in.gid_mappings = map->gids;
  }
  if (host.init.value_or(false)) in.init_path = BERTH_TRY(sibling_binary("berth-init"));
  if (!rootless_) {
    in.cgroups_path = "/berth/" + record.id;
  } else if (auto delegated = BERTH_TRY(find_delegated_cgroup())) {
    in.delegated_cgroup = delegated->dir();
    in.cgroups_path = delegated->container_path(record.id);
    // Without controllers the container's cgroup still gives pause, top and cpu stats.
    if (delegated->marked || sets_limits(host)) {
      auto given = prepare_delegated_cgroup(*delegated);
      if (given)
        in.delegated_controllers = std::move(*given);
      else if (sets_limits(host))
        return fail(given.error());
    }
  }

  monitor::MonitorConfig m;
  m.id = record.id;
  m.runtime_root = p.runtime_root;
  m.bundle = p.run_dir;
  m.rootless = rootless_;
  m.open_stdin = config.open_stdin;
  m.stdin_once = config.stdin_once;
  m.tty = config.tty;
  m.attach_wait = options.attach_wait;
  m.restart = restart_policy_of(host);
  BERTH_CHECK(configure_log(m, host, p));
  std::string self = BERTH_TRY(sibling_binary("berth"));
  m.exit_command = {self,        "--data-root", paths_.data_root, "--exec-root", paths_.exec_root,
                    "container", "cleanup",     record.id};

  auto launched = [&]() -> Result<LaunchedMonitor> {
    BERTH_CHECK(fs::remove_all(p.run_dir));
    BERTH_CHECK(fs::mkdir_p(p.rootfs, 0700));
    if (map) {
      BERTH_CHECK(open_way_for_mapped_root(paths_.exec_root, p.run_dir));
      BERTH_CHECK(open_way_for_mapped_root(paths_.data_root, p.data_dir));
    }
    BERTH_CHECK(mount_root(record, map));
    MountPlan plan = BERTH_TRY(plan_container_mounts(in));
    for (const auto& dir : plan.create_dirs) BERTH_CHECK(fs::mkdir_p(dir, 0755));
    // Volumes hold container ids, mounted idmapped; where the kernel cannot, the host ids.
    in.idmap_volumes = map && idmaps_data_root();
    std::optional<VolumeOwner> empty_root_owner;
    if (map && !in.idmap_volumes && !rootless_)
      empty_root_owner = VolumeOwner{map->root_uid(), map->root_gid()};
    in.volume_mounts = BERTH_TRY(mount_volumes(
        volumes_, record.state.value("Mounts", nlohmann::json::array()), plan.volumes, p.rootfs,
        in.idmap_volumes ? host_to_container_owner(map) : OwnerTranslation{}, empty_root_owner));
    nlohmann::json spec = BERTH_TRY(build_oci_spec(in));
    BERTH_CHECK(fs::write_file_atomic(p.run_dir + "/config.json", spec.dump(), 0600));
    return launch_monitor(p.run_dir, m);
  }();
  if (!launched) {
    (void)::umount2(p.rootfs.c_str(), MNT_DETACH);
    (void)fs::remove_all(p.run_dir);
    monitor::ExitRecord failed;
    failed.error = launched.error().what();
    failed.exit_code = start_failure_exit_code(failed.error);
    nlohmann::json state = record.state;
    mark_exited(state, failed);
    // A container that never ran stays "created", as Docker keeps it.
    if (status_of(record.state) == "created") state["Status"] = "created";
    (void)store_.set_state(record.id, state);
    return fail(launched.error());
  }
  if (options.on_created) {
    if (auto attached = options.on_created(); !attached) {
      (void)runtime::kill_container(runtime_options(), record.id, SIGKILL, true);
      return fail(attached.error());
    }
  }
  mark_running(record.state, launched->container_pid, rfc3339_now(), launched->monitor_pid,
               launched->monitor_start_time, 0);
  BERTH_CHECK(store_.set_state(record.id, record.state));
  return Started{record, launched->container_pid};
}

Result<unique_fd> ContainerService::open_root(std::string_view id_or_name) {
  ContainerRecord r = BERTH_TRY(get(id_or_name));
  if (is_running(r.state))
    return sys::open("/proc/" + std::to_string(pid_of(r.state)) + "/root",
                     O_PATH | O_DIRECTORY | O_CLOEXEC);
  ContainerPaths p = paths_of(r.id);
  auto lock = BERTH_TRY(ContainerLock::acquire(p.data_dir));
  BERTH_CHECK(fs::mkdir_p(p.rootfs, 0700));
  BERTH_CHECK(mount_root(r, BERTH_TRY(recorded_id_map(r.state))));
  return sys::open(p.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

bool ContainerService::idmaps_data_root() const {
  if (!idmaps_data_root_) idmaps_data_root_ = !rootless_ && can_idmap(paths_.data_root);
  return *idmaps_data_root_;
}

Status ContainerService::mount_root(const ContainerRecord& record,
                                    const std::optional<IdMap>& map) {
  ContainerPaths p = paths_of(record.id);
  BERTH_CHECK(enter_private_mount_namespace());
  if (!map) return snapshotter_.mount(record.id, p.rootfs);
  if (idmaps_data_root()) {
    auto userns = BERTH_TRY(runtime::make_userns(map->uids, map->gids));
    return snapshotter_.mount_idmapped(record.id, p.rootfs, userns.get(), p.run_dir + "/layers");
  }
  // Rootless (no idmapped mounts of host filesystems for users), or a filesystem the kernel cannot
  // idmap: copies of the layers owned as the map says, made once per map.
  image::MappedLayers copies(paths_.data_root, images_.store().layers());
  std::string key = "map-" + image::sha256_of(map->to_json().dump()).hex.substr(0, 16);
  auto to_host = container_to_host_owner(map);
  std::vector<std::string> lowers;
  for (const auto& chain : BERTH_TRY(snapshotter_.layers(record.id)))
    lowers.push_back(BERTH_TRY(copies.diff_path(chain, key, to_host)));
  return snapshotter_.mount_with_lowers(record.id, p.rootfs, lowers);
}

}  // namespace berth::engine
