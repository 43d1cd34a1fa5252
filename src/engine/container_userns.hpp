#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "engine/container_config.hpp"
#include "engine/userns_remap.hpp"

// Which user namespace a container gets: decided at create from its --userns and the daemon's
// userns-remap, then recorded with it, so that its layer, its /etc files and its volumes keep
// the owners it was made with.
namespace berth::engine {

struct UsernsSettings {
  std::string remap;  // daemon.json's "userns-remap" or --userns-remap; empty: off
  bool rootless = false;
};

// nullopt: the container's root is the host's root (or, rootless, the user). taken: the maps of
// the other containers, which --userns=auto keeps clear of.
Result<std::optional<IdMap>> choose_id_map(const UsernsSettings& settings, const HostConfig& host,
                                           const std::vector<IdMap>& taken);

// Rootless, for a container with a match-user bind and no --userns that runs as other ids than
// root's: keep-id's layout with its uid and gid in the place of the user's own, so that the
// user's folders are its user's. The kernel gives users no idmapped mounts to do it per bind.
Result<IdMap> rootless_match_user_map(uint32_t uid, uint32_t gid);

// "UID:GID" that a --userns=keep-id container runs as: keep-id's uid and gid, else the user's.
Result<std::string> keep_id_user(const HostConfig& host);

// The map a container's state records, under "IdMap"; nullopt when none.
Result<std::optional<IdMap>> recorded_id_map(const nlohmann::json& state);
void record_id_map(nlohmann::json& state, const IdMap& map);

}  // namespace berth::engine
