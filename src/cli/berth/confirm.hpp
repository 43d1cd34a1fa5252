#pragma once

#include <string>

namespace berth::cli {

// Docker's prune question: the warning, then "Are you sure you want to continue? [y/N]"; true only
// for a yes on stdin.
bool confirm(const std::string& warning);

}  // namespace berth::cli
