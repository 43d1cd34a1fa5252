#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/error.hpp"
#include "engine/id_map.hpp"
#include "engine/spec_mounts.hpp"
#include "runtime/spec.hpp"

// Idmapped bind mounts: what a container writes through them lands on disk as ids the host
// chose, whatever the container runs as. The kernel reads a mount's map as "on-disk id, id the
// caller is seen as, count" (a user namespace's uid_map), which is what runtime::IdMapping holds
// in a mount: container_id is the id on disk, host_id the kernel id the container sees.
namespace berth::engine {

// Every id to itself, except a and b, which trade places.
std::vector<runtime::IdMapping> swap_map(uint32_t a, uint32_t b);

// The process the container runs, as the mounts see it.
struct MountUser {
  uint32_t uid = 0, gid = 0;                         // in the container
  std::vector<runtime::IdMapping> uid_map, gid_map;  // the container's; empty: no user namespace
  bool rootless = false;  // no idmapped mounts: the user namespace's layout must do it
};

// Turns each mount's idmap request into its maps and options:
// - "match-user": the folder's host owner (uid and gid, each) trades places with the host ids
//   the container's user runs as, so that it reads and writes as the owner; nosuid, since the
//   owner's files look like the container user's.
// - "idmap": the container's own map (ids on disk are container ids); nothing without a user
//   namespace, where it would be the identity.
// - "idmap=uids=A-B-N#...;gids=...": Podman's form, on-disk A to host B; "@B" names B as a
//   container id, put through the container's map.
// The request's form, checked before there is a container to map it for.
Status check_idmap_request(const std::string& request);

Status resolve_mount_idmaps(std::vector<MountEntry>& mounts, const MountUser& user);

}  // namespace berth::engine
