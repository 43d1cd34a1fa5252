#pragma once

#include <string>

#include "base/error.hpp"
#include "engine/id_map.hpp"
#include "engine/subid_files.hpp"

namespace berth::engine {

// daemon.json "userns-remap" / the global --userns-remap VALUE, in Docker's forms:
// - "default": the user files.default_user ("berthremap"), created with useradd --system when
//   missing (files.create_users), and given a 65536-id range in subuid and subgid that overlaps no
//   line of either file when it has none (under SubidLock, so two processes add one range).
// - "user", "uid": the user's ranges in subuid and subgid, each looked up by name and by uid.
// - "user:group", "uid:gid": the user's in subuid, the group's (by name and gid) in subgid.
// Several ranges combine. Missing or short (< 65536 ids) ranges: a one-line error naming the file
// and the command that fixes it.
Result<IdMap> resolve_userns_remap(const std::string& value, const SubidFiles& files = {});

}  // namespace berth::engine
