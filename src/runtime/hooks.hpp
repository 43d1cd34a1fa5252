#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

// Runs each hook in order with the container state on its stdin; a hook that fails or outlives
// its timeout stops the sequence with an error naming the hook kind and path.
Status run_hooks(const std::vector<Hook>& hooks, const std::string& kind,
                 const std::string& state_json);

}  // namespace berth::runtime
