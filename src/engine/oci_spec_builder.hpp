#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "engine/container_config.hpp"
#include "engine/spec_mounts.hpp"
#include "image/image_config.hpp"
#include "runtime/spec.hpp"

// What a user asked for (docker run flags, or the Engine API's create body) turned into the OCI
// runtime spec (config.json) that berth-runtime runs, with Docker's defaults.
namespace berth::engine {

struct SpecInput {
  // As the user sent them, or as stored after merge_image_config/apply_create_defaults: both are
  // applied again here and change nothing the second time.
  ContainerConfig config;
  HostConfig host_config;
  image::ImageConfig image;
  std::string container_id;  // 64 hex
  std::string name;
  std::string rootfs;  // the container's mounted root; only read, through RESOLVE_IN_ROOT
  // One mount per VolumeRequest of plan_mounts(config, host_config), made with volume_mount()
  // once the caller has found or created the volume.
  std::vector<MountEntry> volume_mounts;
  // Files the caller wrote for the container, bound over /etc/...; empty: not mounted.
  std::string hosts_path;
  std::string hostname_path;
  std::string resolv_conf_path;
  std::string init_path;     // the host's berth-init, bound at /sbin/docker-init for --init
  std::string cgroups_path;  // linux.cgroupsPath
  bool rootless = false;
  // Rootless berth inside the user's namespace (engine/rootless_namespace.hpp), whose map the
  // container shares unless it has mappings of its own.
  bool in_user_namespace = false;
  bool idmap_volumes = false;  // volumes hold container ids: mount them idmapped
  // Rootless: the cgroup v2 the user owns (empty: none), and the controllers containers get
  // below it, which decide the limits that may be set.
  std::string delegated_cgroup;
  std::vector<std::string> delegated_controllers;
  // A user namespace with these mappings when set. Rootless without them: the caller's uid and
  // gid as root, one id each.
  std::vector<runtime::IdMapping> uid_mappings;
  std::vector<runtime::IdMapping> gid_mappings;
};

// The mounts the container needs, from its config merged with its image's exactly as
// build_oci_spec merges it: the caller resolves plan.volumes (named ones found or created with
// their driver options, anonymous ones created and named, copied up from the image unless
// no_copy), creates plan.create_dirs on the host, and passes the volumes back in
// SpecInput::volume_mounts.
Result<MountPlan> plan_container_mounts(const SpecInput& input);

// The spec as config.json holds it. Errors are one line naming what is wrong, e.g.
// `unable to find user app: no matching entries in passwd file`, `--memory: resource limits need
// cgroup v2 controllers delegated to the user...`, `invalid mount config for type "bind": ...`.
Result<nlohmann::json> build_oci_spec(const SpecInput& input);

// Where the init binary lands in the container, and how it is called (Docker's names, so that
// `docker top` and scripts that look for it see the same).
inline constexpr const char* kContainerInitPath = "/sbin/docker-init";

}  // namespace berth::engine
