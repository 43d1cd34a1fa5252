#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

std::string format_id_map(const std::vector<IdMapping>& mappings);
// True when an unprivileged process may write the map itself: its own id, once.
bool maps_only_own_id(const std::vector<IdMapping>& mappings, uint32_t own_id);

// Writes the uid and gid maps of process pid. As root: directly. Otherwise directly when the
// maps hold only the caller's own ids (after "deny" in setgroups), else through the setuid
// newuidmap/newgidmap helpers, which check /etc/subuid and /etc/subgid.
Status write_id_mappings(pid_t pid, const std::vector<IdMapping>& uids,
                         const std::vector<IdMapping>& gids);

}  // namespace berth::runtime
