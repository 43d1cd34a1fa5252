#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace berth::engine {

struct SubordinateRange {
  uint32_t start = 0;
  uint32_t count = 0;
};

// The ranges /etc/subuid (or /etc/subgid) gives the user, by name or by numeric id, in file
// order. A missing file gives none.
Result<std::vector<SubordinateRange>> subordinate_ranges(const std::string& file,
                                                         const std::string& user, uid_t id);

// The map of a rootless user namespace: the user's own id as 0, then its ranges from 1 up.
std::vector<runtime::IdMapping> rootless_id_map(uint32_t own_id,
                                                const std::vector<SubordinateRange>& ranges);

}  // namespace berth::engine
