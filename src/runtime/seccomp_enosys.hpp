#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <span>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

// A profile cannot name syscalls younger than itself, so its default action (usually EPERM) also
// hits them, and libc takes EPERM as a refusal instead of falling back to an older syscall. As
// runc does, a syscall whose number is above every number the profile names for its architecture
// fails with ENOSYS instead. This builds the BPF that runs before the libseccomp program to do
// that, for the given libseccomp architecture tokens; empty when no architecture needs it.
Result<std::vector<sock_filter>> enosys_prefix(const Seccomp& seccomp,
                                               std::span<const uint32_t> arch_tokens);

}  // namespace berth::runtime
