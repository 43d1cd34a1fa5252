#pragma once

#include "base/error.hpp"

namespace berth::engine {

// Moves the calling process (once; later calls do nothing) into a mount namespace of its own whose
// mounts receive the host's but send none back. A container's root and volumes are mounted there
// before its monitor is started in it: they live exactly as long as the monitor and the
// container, and no mount is ever left behind on the host, whoever gets killed.
Status enter_private_mount_namespace();

}  // namespace berth::engine
