#include "engine/container_service.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <random>

#include "base/clock.hpp"
#include "base/fs.hpp"
#include "engine/container_defaults.hpp"
#include "engine/container_lock.hpp"
#include "engine/container_state.hpp"
#include "engine/delegated_cgroup.hpp"
#include "engine/etc_files.hpp"
#include "engine/oci_spec_builder.hpp"
#include "engine/spec_resources.hpp"
#include "engine/spec_user.hpp"
#include "engine/volume_mounts.hpp"
#include "image/dir_tree.hpp"
#include "image/layered_file.hpp"

namespace berth::engine {
namespace {

bool wants_match_user(const MountPlan& plan) {
  for (const auto& m : plan.mounts)
    if (m.idmap == "match-user") return true;
  return false;
}

std::string random_id() {
  unsigned char bytes[32];
  std::random_device rd;
  for (auto& b : bytes) b = static_cast<unsigned char>(rd());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  // Docker never makes an all-digit short id: it would read as a number.
  if (id.substr(0, 12).find_first_not_of("0123456789") == std::string::npos) return random_id();
  return id;
}

}  // namespace

ContainerService::ContainerService(Paths paths, bool rootless, ImageService& images,
                                   ContainerStore store, image::Snapshotter snapshotter,
                                   VolumeService volumes)
    : paths_(std::move(paths)),
      rootless_(rootless),
      images_(images),
      store_(std::move(store)),
      snapshotter_(std::move(snapshotter)),
      volumes_(std::move(volumes)) {
  userns_.rootless = rootless;
}

runtime::RuntimeOptions ContainerService::runtime_options() const {
  runtime::RuntimeOptions rt;
  rt.root = runtime_root(paths_);
  rt.rootless = rootless_;
  return rt;
}

Result<ContainerRecord> ContainerService::create(CreateRequest request) {
  // Until the snapshot names its layers, an rmi's gc must not take them.
  auto lease = BERTH_TRY(images_.store().lease());
  image::ImageRecord image = BERTH_TRY(images_.resolve(request.config.image));
  image::ImageConfig image_config = BERTH_TRY(images_.config(image));
  std::string id = random_id();
  BERTH_CHECK(merge_image_config(request.config, image_config.config));
  apply_create_defaults(request.config, request.host_config, id);

  // Mount specifications are checked now, as Docker checks them, and volumes made.
  SpecInput probe;
  probe.config = request.config;
  probe.host_config = request.host_config;
  probe.image = image_config;
  probe.container_id = id;
  MountPlan plan = BERTH_TRY(plan_container_mounts(probe));
  // Limits that cannot be applied are refused now, as berth's own error (exit 125).
  ResourcePolicy policy{rootless_, "", {}};
  if (rootless_) {
    if (auto delegated = BERTH_TRY(find_delegated_cgroup())) {
      policy.delegated_cgroup = delegated->dir();
      policy.controllers = delegated->controllers;
    }
  }
  (void)BERTH_TRY(container_resources(request.host_config, policy));

  // Held from choosing an --userns=auto range until the record that claims it is stored.
  std::optional<ContainerLock> userns_lock;
  if (request.host_config.userns_mode.starts_with("auto"))
    userns_lock = BERTH_TRY(ContainerLock::acquire(fs::join(paths_.data_root, "userns")));
  auto map = BERTH_TRY(choose_id_map_locked(request.host_config));
  auto chains = BERTH_TRY(images_.store().chain_ids(image.id));
  if (rootless_ && !map && request.host_config.userns_mode.empty() && wants_match_user(plan))
    map = BERTH_TRY(match_user_map(request, chains));
  // keep-id: the container runs as the user's own ids unless told otherwise, as Podman's does.
  if (request.config.user.empty() && request.host_config.userns_mode.starts_with("keep-id"))
    request.config.user = BERTH_TRY(keep_id_user(request.host_config));

  ContainerRecord record;
  record.id = id;
  record.name = request.name;
  record.image = request.config.image;
  record.image_id = image.id.str();
  record.created = rfc3339_now();
  record.config = to_json(request.config);
  record.host_config = to_json(request.host_config);
  record.state = created_state();
  if (map) record_id_map(record.state, *map);
  record.state["Mounts"] = BERTH_TRY(create_volumes(volumes_, plan));
  ContainerRecord for_cleanup;  // what a failed create leaves to undo
  for_cleanup.id = id;
  for_cleanup.state = record.state;

  // The record first: a create killed after it leaves a container that start completes or rm
  // removes, never files that no record names.
  ContainerRecord stored = BERTH_TRY(store_.create(std::move(record)));
  if (auto made = prepare_files(stored, chains); !made) {
    (void)remove_files(stored);
    (void)remove_anonymous_volumes(volumes_, store_, for_cleanup);
    return fail(made.error());
  }
  return stored;
}

Status ContainerService::prepare_files(const ContainerRecord& r,
                                       const std::vector<image::Digest>& chains) {
  ContainerConfig config = BERTH_TRY(container_config_from_json(r.config));
  HostConfig host = BERTH_TRY(host_config_from_json(r.host_config));
  // A snapshot appears whole (renamed into place) or not at all.
  if (!fs::exists(upper_dir(r.id))) BERTH_CHECK(snapshotter_.prepare(r.id, chains));
  ContainerPaths p = paths_of(r.id);
  BERTH_CHECK(write_etc_files(p, config, host));
  auto map = BERTH_TRY(recorded_id_map(r.state));
  if (!map) return {};
  // The layer's own files are written with the host ids the container runs as (overlayfs takes
  // no idmapped upper layer), and the container's root owns its /etc files, as Docker gives them.
  for (const auto& path : {upper_dir(r.id), p.hosts_path, p.hostname_path, p.resolv_conf_path})
    if (::lchown(path.c_str(), map->root_uid(), map->root_gid()) < 0 && errno != ENOENT)
      return fail_sys("chown " + quote(path) + " to the container's root");
  return {};
}

Result<std::optional<IdMap>> ContainerService::match_user_map(
    const CreateRequest& request, const std::vector<image::Digest>& chains) {
  // The image's /etc/passwd and /etc/group, read from its layers: nothing is mounted yet.
  std::vector<std::string> layers;
  for (auto it = chains.rbegin(); it != chains.rend(); ++it)
    layers.push_back(images_.store().layers().diff_path(*it));
  // Rootless layers carry user.overlay.* whiteouts.
  const auto format = image::WhiteoutFormat::overlay_userxattr;
  auto passwd = BERTH_TRY(image::read_layered_file(layers, "/etc/passwd", format));
  auto group = BERTH_TRY(image::read_layered_file(layers, "/etc/group", format));
  ExecUser user = BERTH_TRY(resolve_user_in(passwd.value_or(""), group.value_or(""),
                                            request.config.user, request.host_config.group_add));
  if (user.uid == 0 && user.gid == 0) return std::optional<IdMap>{};
  return std::optional<IdMap>{BERTH_TRY(rootless_match_user_map(user.uid, user.gid))};
}

Result<std::optional<IdMap>> ContainerService::choose_id_map_locked(const HostConfig& host) {
  std::vector<IdMap> taken;
  if (host.userns_mode.starts_with("auto"))
    for (const auto& r : BERTH_TRY(store_.list()))
      if (auto map = recorded_id_map(r.state); map && *map) taken.push_back(**map);
  return choose_id_map(userns_, host, taken);
}

Result<std::optional<IdMap>> ContainerService::id_map_of(std::string_view id_or_name) {
  ContainerRecord r = BERTH_TRY(get(id_or_name));
  return recorded_id_map(r.state);
}

Result<ContainerRecord> ContainerService::get(std::string_view id_or_name) {
  ContainerRecord r = BERTH_TRY(reconcile(BERTH_TRY(store_.get(id_or_name))));
  if (r.id.empty()) return fail_msg("No such container: " + std::string(id_or_name));
  return r;
}

Result<std::vector<ContainerRecord>> ContainerService::list() {
  std::vector<ContainerRecord> out;
  for (auto& r : BERTH_TRY(store_.list())) {
    auto reconciled = reconcile(std::move(r));
    if (!reconciled) return fail(reconciled.error());
    // A --rm container that ended meanwhile is gone.
    if (!reconciled->id.empty()) out.push_back(std::move(*reconciled));
  }
  return out;
}

Status ContainerService::rename(std::string_view id_or_name, std::string_view new_name) {
  ContainerRecord r = BERTH_TRY(get(id_or_name));
  return store_.rename(r.id, new_name);
}

Status ContainerService::pause(std::string_view id_or_name) {
  ContainerRecord r = BERTH_TRY(get(id_or_name));
  if (status_of(r.state) == "paused") return fail_msg("Container " + r.id + " is already paused");
  if (!is_running(r.state)) return fail_msg("Container " + r.id + " is not running");
  BERTH_CHECK(runtime::pause_container(runtime_options(), r.id));
  mark_paused(r.state, true);
  return store_.set_state(r.id, r.state);
}

Status ContainerService::unpause(std::string_view id_or_name) {
  ContainerRecord r = BERTH_TRY(get(id_or_name));
  if (status_of(r.state) != "paused") return fail_msg("Container " + r.id + " is not paused");
  BERTH_CHECK(runtime::resume_container(runtime_options(), r.id));
  mark_paused(r.state, false);
  return store_.set_state(r.id, r.state);
}

Result<uint64_t> ContainerService::rw_size(const std::string& id) const {
  std::string upper = upper_dir(id);
  if (!fs::exists(upper)) return 0;
  return image::dir_tree::regular_bytes(AT_FDCWD, upper, upper);
}

}  // namespace berth::engine
