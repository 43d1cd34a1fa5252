#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

// A compiled seccomp filter: plain BPF and the SECCOMP_FILTER_FLAG_* bits to load it with. It holds
// no libseccomp state, so it can be built before clone, or cached.
struct SeccompProgram {
  std::vector<struct sock_filter> filter;
  unsigned flags = 0;
  bool needs_listener = false;  // some rule uses SCMP_ACT_NOTIFY: flags has NEW_LISTENER
};

// Compiles linux.seccomp with libseccomp. Errors name the field
// (`linux.seccomp.syscalls[3].action: unknown action "X"`). Unknown syscall names are skipped,
// as runc does; unknown architectures, actions, operators and flags are errors. A rule whose
// action is the default action is skipped. Unless the default action allows, syscalls numbered
// above every syscall the profile names fail with ENOSYS, as with runc (seccomp_enosys.hpp).
Result<SeccompProgram> compile_seccomp(const Seccomp& seccomp);
// Part of the cache key (seccomp_cache.hpp): bump it whenever compile_seccomp's output for the
// same input changes, so that cached programs from older builds are not reused.
inline constexpr unsigned seccomp_compiler_revision = 1;

// seccomp(SECCOMP_SET_MODE_FILTER) with program.flags. Without no_new_privs this needs
// CAP_SYS_ADMIN, so the caller orders it against the capability drop. Returns the listener fd
// when program.needs_listener, else -1.
Result<int> load_seccomp(const SeccompProgram& program);

// For `features`: every name compile_seccomp accepts.
std::vector<std::string> seccomp_actions();
std::vector<std::string> seccomp_operators();
std::vector<std::string> seccomp_archs();
std::vector<std::string> seccomp_flags();
// The flags of seccomp_flags() that the running kernel supports.
std::vector<std::string> seccomp_supported_flags();

}  // namespace berth::runtime
