#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace berth::subprocess {

// Runs argv (looked up in PATH, no shell) and returns its stdout; a non-zero exit is an error.
Result<std::string> capture(const std::vector<std::string>& argv);

}  // namespace berth::subprocess
