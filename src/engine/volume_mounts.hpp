#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "engine/container_store.hpp"
#include "engine/spec_mounts.hpp"
#include "engine/volume_store.hpp"

// A container's volumes: made at create (anonymous ones named), mounted and copied up at start,
// and, for anonymous ones, removed with the container when asked.
namespace berth::engine {

// The volumes the plan asks for, found or created, and the plan's binds, as the Mounts of
// Docker's inspect ([{"Type": "volume", "Name": ..., "Destination": ...}, ...]).
Result<nlohmann::json> create_volumes(VolumeService& volumes, const MountPlan& plan);

// The bind mounts of the volumes that `mounts` (from create_volumes) records for the requests,
// each mounted as its driver options say and, unless no_copy, filled from the image's files at its
// destination when empty. rootfs is the container's mounted root.
// empty_root_owner: where the kernel cannot idmap a remapped container's volumes they hold its
// host ids, and a volume that is still empty and root's after the copy goes to the container's
// root, so that it can write there.
Result<std::vector<MountEntry>> mount_volumes(
    VolumeService& volumes, const nlohmann::json& mounts,
    const std::vector<VolumeRequest>& requests, const std::string& rootfs,
    const OwnerTranslation& translate = {},
    std::optional<VolumeOwner> empty_root_owner = std::nullopt);

// Removes the anonymous volumes among `mounts` that no other container uses.
Status remove_anonymous_volumes(VolumeService& volumes, ContainerStore& containers,
                                const ContainerRecord& record);

}  // namespace berth::engine
