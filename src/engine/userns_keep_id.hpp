#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/error.hpp"
#include "engine/id_map.hpp"
#include "engine/subordinate_ids.hpp"

namespace berth::engine {

// --userns=keep-id for a rootless user (own uid U, gid G, subordinate ranges R): the container's
// uid (uid, or U) maps to U, every other container id from 0 up to R's ids in order (0..uid-1 to
// R's first ids, uid+1.. to the rest), as Podman lays it out. The same for gids. A uid beyond R's
// total, or U inside R, is an error.
Result<IdMap> keep_id_map(uint32_t own_uid, uint32_t own_gid,
                          const std::vector<SubordinateRange>& uid_ranges,
                          const std::vector<SubordinateRange>& gid_ranges,
                          std::optional<uint32_t> uid, std::optional<uint32_t> gid);

}  // namespace berth::engine
