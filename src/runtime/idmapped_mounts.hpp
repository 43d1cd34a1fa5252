#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "runtime/spec.hpp"

// Idmapped mounts (mount uidMappings/gidMappings, "idmap"/"ridmap"): made on the host side, where
// the runtime may create user namespaces and change mounts it owns, and handed to init detached.
namespace berth::runtime {

// For each spec mount that asks for an idmap, a detached clone of its source with
// MOUNT_ATTR_IDMAP set (and the mount's other attributes), indexed like spec.mounts; an invalid
// fd where the mount asks for none. container_userns_fd is the container's user namespace, used
// when a mount says "idmap" without mappings of its own (-1 when there is none).
Result<std::vector<unique_fd>> prepare_idmapped_mounts(const Spec& spec, const std::string& bundle,
                                                       int container_userns_fd);

// A user namespace holding the given mappings, as an fd of /proc/<pid>/ns/user of a short-lived
// child that is gone when this returns.
Result<unique_fd> make_userns(const std::vector<IdMapping>& uid_mappings,
                              const std::vector<IdMapping>& gid_mappings);

}  // namespace berth::runtime
