#include "engine/private_mount_namespace.hpp"

#include <sched.h>
#include <sys/mount.h>

namespace berth::engine {

Status enter_private_mount_namespace() {
  static bool entered = false;
  if (entered) return {};
  if (::unshare(CLONE_NEWNS) < 0) return fail_sys("unshare a mount namespace for the container");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) < 0)
    return fail_sys("make the container's mount namespace a slave of the host's");
  entered = true;
  return {};
}

}  // namespace berth::engine
