#pragma once

#include <sys/resource.h>

#include <optional>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

struct ResolvedRlimit {
  int resource;
  rlim_t soft, hard;
};

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE; nullopt for a name that is not a Linux resource limit.
std::optional<int> rlimit_from_name(std::string_view name);
// RLIMIT_NOFILE -> "RLIMIT_NOFILE"; empty for an unknown resource.
std::string_view rlimit_name(int resource);

// Checks process.rlimits: an unknown type, a duplicate type or soft > hard is an error naming the
// entry (`process.rlimits[1].type: unknown resource limit "RLIMIT_FOO"`).
Result<std::vector<ResolvedRlimit>> resolve_rlimits(const std::vector<Rlimit>& rlimits);
// setrlimit(2) of each, in order. Raising a hard limit needs CAP_SYS_RESOURCE, so this runs
// before the process drops its capabilities.
Status apply_rlimits(const std::vector<ResolvedRlimit>& rlimits);

}  // namespace berth::runtime
