#pragma once

#include "engine/seccomp_profile.hpp"

namespace berth::engine {

// The profile a container gets without --security-opt seccomp=...: it allows and denies what
// Docker's default profile does. Everything not listed fails with EPERM; the namespace and mount
// syscalls, module loading, kexec, clock setting, ptrace and their like need the matching
// capability; clone may not create namespaces and clone3 fails with ENOSYS (so that libcs fall
// back to clone) without CAP_SYS_ADMIN; socket(2) may not open AF_ALG or AF_VSOCK sockets;
// personality(2) only takes the harmless personas.
const SeccompProfile& default_seccomp_profile();

}  // namespace berth::engine
