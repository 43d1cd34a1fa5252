#pragma once

#include <string>

#include "base/error.hpp"

namespace berth::engine {

// Makes the calling (single-threaded) unprivileged process root of the user's berth user
// namespace: its own uid and gid as 0 and its subordinate ranges (/etc/subuid, /etc/subgid) from 1
// up, as podman's rootless mode maps them. Files of an image then belong to the ids the image
// names, as that namespace sees them, and what berth writes stays the user's on the host.
//
// Every berth command of the user shares one namespace, so that one can join the containers
// another made: the first makes it and leaves a small holder process in it (berth-monitor
// --hold-user-namespace, its pid in exec_root/userns.pid); later ones join it.
// Returns true inside the namespace (also when the process was there already), false, changing
// nothing, when the user has no subordinate ranges.
Result<bool> enter_rootless_user_namespace(const std::string& exec_root);

}  // namespace berth::engine
