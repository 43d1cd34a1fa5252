#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

// Seccomp profiles in Docker's format (`--security-opt seccomp=FILE`, and the default profile):
// the OCI object plus rules that apply only on some architectures, kernels or capability sets.
namespace berth::engine {

struct SeccompCondition {
  std::vector<std::string> caps;    // "CAP_SYS_ADMIN": all of them (includes) / any (excludes)
  std::vector<std::string> arches;  // libseccomp's native names: amd64, x86, x32, arm64, ...
  std::optional<std::pair<unsigned, unsigned>> min_kernel;  // "4.8" -> {4, 8}
  bool empty() const { return caps.empty() && arches.empty() && !min_kernel; }
};

struct SeccompArgRule {
  unsigned index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_EQ ...
};

struct SeccompRule {
  std::vector<std::string> names;
  std::string action;
  std::optional<unsigned> errno_ret;
  std::vector<SeccompArgRule> args;
  SeccompCondition includes;
  SeccompCondition excludes;
};

struct SeccompArchMap {
  std::string arch;  // SCMP_ARCH_X86_64
  std::vector<std::string> sub_arches;
};

struct SeccompProfile {
  std::string default_action;
  std::optional<unsigned> default_errno_ret;
  std::vector<std::string> architectures;  // either this or arch_map
  std::vector<SeccompArchMap> arch_map;
  std::vector<std::string> flags;
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompRule> syscalls;
};

// Where the profile is resolved: the native architecture, the kernel, the container's bounding
// capabilities.
struct SeccompTarget {
  std::string arch;  // libseccomp's native name of this build: amd64, arm64, ...
  unsigned kernel_major = 0;
  unsigned kernel_minor = 0;
  std::vector<std::string> capabilities;
};

// The running machine, with the given capabilities.
SeccompTarget current_seccomp_target(std::vector<std::string> capabilities);

// Docker's profile JSON. Errors name the field: `seccomp profile: syscalls[3].names: ...`.
Result<SeccompProfile> parse_seccomp_profile(std::string_view text);

// The OCI `linux.seccomp` object for the target: conditional rules kept or dropped, the native
// architecture and its sub-architectures from arch_map. nullopt when the profile has neither a
// default action nor rules (Docker runs such a container unconfined).
Result<std::optional<nlohmann::json>> resolve_seccomp_profile(const SeccompProfile& profile,
                                                              const SeccompTarget& target);

}  // namespace berth::engine
