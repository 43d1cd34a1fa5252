#pragma once

#include "base/error.hpp"

namespace berth::engine {

// Makes the calling (single-threaded) unprivileged process root of a new user namespace that maps
// its own uid and gid to 0 and its subordinate ranges (/etc/subuid, /etc/subgid) from 1 up, as
// podman's rootless mode does: files of an image then belong to the ids the image names, as that
// namespace sees them, and what berth writes stays the user's on the host.
// Returns false, and changes nothing, when the user has no subordinate ranges.
Result<bool> enter_rootless_user_namespace();

}  // namespace berth::engine
