#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/container_config.hpp"
#include "engine/container_paths.hpp"
#include "engine/container_store.hpp"
#include "engine/container_userns.hpp"
#include "engine/image_service.hpp"
#include "engine/paths.hpp"
#include "engine/volume_store.hpp"
#include "image/snapshotter.hpp"
#include "runtime/container.hpp"

namespace berth::engine {

struct StartOptions {
  // The caller attaches before the container's process runs (docker run, start -a): the monitor
  // makes the container and waits for the caller on the attach socket.
  bool attach_wait = false;
  // With attach_wait: called once the container is made, before its record is updated, so that
  // the caller's attach (which lets it run) is not delayed by the store.
  std::function<Status()> on_created;
};

struct Started {
  ContainerRecord record;
  pid_t pid = 0;
};

// Docker's exit code for a container whose process could not be started: 127 not found, 126 not
// executable, else 128... as `docker run` exits with it.
int start_failure_exit_code(const std::string& message);

// The containers of one data root and exec root: create, start, stop, remove, and the state they
// are in, which is reconciled with the monitors and the runtime whenever a record is read, so that
// it stays true after the CLI, the monitor or /run went away.
class ContainerService {
 public:
  ContainerService(Paths paths, bool rootless, ImageService& images, ContainerStore store,
                   image::Snapshotter snapshotter, VolumeService volumes);

  const Paths& paths() const { return paths_; }
  // daemon.json's userns-remap (or --userns-remap): the map of containers made from now on.
  void set_userns_remap(std::string value) { userns_.remap = std::move(value); }
  ContainerPaths paths_of(const std::string& id) const { return container_paths(paths_, id); }
  runtime::RuntimeOptions runtime_options() const;
  ContainerStore& store() { return store_; }
  VolumeService& volumes() { return volumes_; }
  // The container's writable layer on the host, and the bytes in it.
  std::string upper_dir(const std::string& id) const { return snapshotter_.upper_path(id); }
  Result<uint64_t> rw_size(const std::string& id) const;

  // The image must be in the store. Errors name what is wrong (`No such image: x`, a bad -v).
  Result<ContainerRecord> create(CreateRequest request);
  Result<Started> start(std::string_view id_or_name, const StartOptions& options);
  // Docker's stop: the stop signal, then SIGKILL after timeout (default: the container's
  // StopTimeout, else 10 s). A stopped container is fine.
  Status stop(std::string_view id_or_name, std::optional<int> timeout_seconds);
  Status kill(std::string_view id_or_name, int signal);
  Status remove(std::string_view id_or_name, bool force, bool volumes);
  // Waits until the container is not running; its exit code.
  Result<int> wait(std::string_view id_or_name);
  Status pause(std::string_view id_or_name);
  Status unpause(std::string_view id_or_name);
  Status rename(std::string_view id_or_name, std::string_view new_name);

  // Reconciled records.
  Result<ContainerRecord> get(std::string_view id_or_name);
  Result<std::vector<ContainerRecord>> list();

  // A descriptor that becomes readable when the container's monitor is gone, or -1 when it is.
  Result<int> monitor_pidfd(const ContainerRecord& record) const;

  // The container's root directory: /proc/<pid>/root while it runs, else its snapshot mounted in
  // this process's private mount namespace (cp, export).
  Result<unique_fd> open_root(std::string_view id_or_name);
  // The container's own user namespace map; nullopt when it has none.
  Result<std::optional<IdMap>> id_map_of(std::string_view id_or_name);

  // What the monitor's exit command runs (and reconciliation, when the monitor is gone): records
  // how the container ended, removes its run state, and removes it entirely with --rm.
  Status cleanup(const std::string& id);

 private:
  Result<ContainerRecord> reconcile(ContainerRecord record);
  Status adopt(ContainerRecord& record, const ContainerPaths& paths);
  // The writable layer and the /etc files of a recorded container.
  Status prepare_files(const ContainerRecord& record, const std::vector<image::Digest>& chains);
  Result<std::optional<IdMap>> choose_id_map_locked(const HostConfig& host);
  // Rootless match-user for a container user other than root (container_userns.hpp).
  Result<std::optional<IdMap>> match_user_map(const CreateRequest& request,
                                              const std::vector<image::Digest>& chains);
  // The container's root mounted at paths_of(id).rootfs in this process's private mount
  // namespace, its layers idmapped when the container has a map of its own.
  Status mount_root(const ContainerRecord& record, const std::optional<IdMap>& map);
  // Whether layers and volumes reach remapped containers through idmapped mounts (rootful, on a
  // filesystem the kernel idmaps); else through copies owned by the map's ids.
  bool idmaps_data_root() const;
  Status finish(const std::string& id);
  Status remove_files(const ContainerRecord& record);
  bool monitor_alive(const ContainerRecord& record) const;
  // Until the monitor is gone (its exit command done too), or the timeout.
  bool wait_for_monitor(const ContainerRecord& record, std::chrono::milliseconds timeout) const;

  Paths paths_;
  bool rootless_;
  ImageService& images_;
  ContainerStore store_;
  image::Snapshotter snapshotter_;
  VolumeService volumes_;
  UsernsSettings userns_;
  mutable std::optional<bool> idmaps_data_root_;
};

}  // namespace berth::engine
