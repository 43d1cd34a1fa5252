#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <utility>

#include "engine/id_map.hpp"

namespace berth::engine {

// The owner (uid, gid) a copied file gets, from the owner its source shows. Empty: the same.
using OwnerTranslation = std::function<std::pair<uid_t, gid_t>(uid_t, gid_t)>;

// A remapped container's root shows the host ids it runs as; tars and volumes hold the
// container's own ids, and what comes in from them goes back to the host ids. Empty without a map.
OwnerTranslation host_to_container_owner(const std::optional<IdMap>& map);
OwnerTranslation container_to_host_owner(const std::optional<IdMap>& map);

}  // namespace berth::engine
