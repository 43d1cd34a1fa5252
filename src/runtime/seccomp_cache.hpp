#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "runtime/seccomp.hpp"
#include "runtime/spec.hpp"

// Compiling a Docker-sized profile for three architectures costs libseccomp milliseconds, most of
// a container start. The program depends only on the seccomp section, the libseccomp version and
// the kernel, so it can be kept on disk and reused by every container with the same profile.
namespace berth::runtime {

// Like compile_seccomp, but looks in cache_dir first and stores what it compiles there. The cache
// is an optimisation only: a directory that cannot be created or read, or that is not private to
// this user (owned by another uid, or writable by group or others), a corrupt or foreign entry,
// all fall back to compiling. An entry is used only when its whole key matches, not just its name.
Result<SeccompProgram> compile_seccomp_cached(const Seccomp& seccomp, const std::string& cache_dir);

// The exact key of a seccomp section: a canonical encoding of every field that shapes the
// program, plus seccomp_compiler_revision, the libseccomp version and the kernel release.
std::string seccomp_cache_key(const Seccomp& seccomp);

// The on-disk form of a cache entry, and back; parse fails on anything damaged or for another key.
std::string encode_seccomp_entry(std::string_view key, const SeccompProgram& program);
Result<SeccompProgram> decode_seccomp_entry(std::string_view data, std::string_view key);

}  // namespace berth::runtime
