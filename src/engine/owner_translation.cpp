#include "engine/owner_translation.hpp"

namespace berth::engine {

OwnerTranslation host_to_container_owner(const std::optional<IdMap>& map) {
  if (!map) return {};
  return [map = *map](uid_t uid, gid_t gid) {
    return std::pair{static_cast<uid_t>(container_id_of(map.uids, uid).value_or(uid)),
                     static_cast<gid_t>(container_id_of(map.gids, gid).value_or(gid))};
  };
}

OwnerTranslation container_to_host_owner(const std::optional<IdMap>& map) {
  if (!map) return {};
  return [map = *map](uid_t uid, gid_t gid) {
    return std::pair{static_cast<uid_t>(host_id_of(map.uids, uid).value_or(uid)),
                     static_cast<gid_t>(host_id_of(map.gids, gid).value_or(gid))};
  };
}

}  // namespace berth::engine
