#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/container_config.hpp"
#include "runtime/spec.hpp"

// The user's mounts (-v, --mount, --tmpfs, and the anonymous volumes of Config.Volumes) turned
// into OCI mounts, the way the Docker daemon reads them.
namespace berth::engine {

// One OCI mount, as plain data.
struct MountEntry {
  MountEntry() = default;
  MountEntry(std::string type, std::string source, std::string destination,
             std::vector<std::string> options = {})
      : type(std::move(type)),
        source(std::move(source)),
        destination(std::move(destination)),
        options(std::move(options)) {}

  std::string type;  // "bind", "tmpfs"
  std::string source;
  std::string destination;
  std::vector<std::string> options;
  // A bind's request for an idmapped mount ("match-user", "idmap", "idmap=uids=...;gids=..."),
  // turned into uid_mappings/gid_mappings by resolve_mount_idmaps once the user is known.
  std::string idmap;
  std::vector<runtime::IdMapping> uid_mappings, gid_mappings;
};

// A volume the caller must find or create and then give back as a MountEntry (volume_mount).
struct VolumeRequest {
  std::string name;  // empty: an anonymous volume, named by the caller
  std::string destination;
  bool read_only = false;
  bool no_copy = false;  // when false, the image's files at destination are copied up first
  std::string driver;    // empty: "local"
  std::map<std::string, std::string> driver_options;
  std::map<std::string, std::string> labels;
  std::string subpath;
};

struct MountPlan {
  std::vector<MountEntry> mounts;        // binds and tmpfs
  std::vector<VolumeRequest> volumes;    // named and anonymous volumes
  std::vector<std::string> create_dirs;  // -v sources missing on the host: Docker creates them
};

// Reads HostConfig.Binds, HostConfig.Mounts, HostConfig.Tmpfs and Config.Volumes (of a config
// merged with its image's, so that the image's volumes are there: see plan_container_mounts). A
// tmpfs wins over any other mount at its destination and a bind or named volume over an anonymous
// one; two binds or mounts at one destination are an error (`duplicate mount point: /data`). Errors
// name the specification: `invalid volume specification: 'data:rel'`.
Result<MountPlan> plan_mounts(const ContainerConfig& config, const HostConfig& host);

// The bind mount of a volume's host folder, with the request's read-only flag.
MountEntry volume_mount(const VolumeRequest& request, const std::string& host_path);

// Docker's merge of tmpfs options: later options win over earlier ones of the same flag or key.
Result<std::vector<std::string>> merge_tmpfs_options(const std::vector<std::string>& options);

}  // namespace berth::engine
