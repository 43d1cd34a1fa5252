#pragma once

#include <cstdint>
#include <vector>

#include "base/error.hpp"
#include "engine/id_map.hpp"
#include "engine/subid_files.hpp"

namespace berth::engine {

// --userns=auto's pool: the subordinate ranges of user "containers" (Podman's convention), looked
// up like resolve_userns_remap("containers") but never created, and not needing a login of that
// name. Missing ranges: an error that says how to add them.
Result<IdMap> auto_pool(const SubidFiles& files = {});

// size uids and size gids (0: 65536) from the host ids of pool that overlap none of taken's (the
// maps of other containers and the remap map): the lowest free run long enough, else the free
// runs from the lowest up. files names the file in the error when there is no room.
Result<IdMap> allocate_auto_map(const IdMap& pool, uint32_t size, const std::vector<IdMap>& taken,
                                const SubidFiles& files = {});

}  // namespace berth::engine
