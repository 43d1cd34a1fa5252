#pragma once

#include <string>

#include "base/error.hpp"

namespace berth::runtime {

// A signal as kill(1) and `docker kill -s` take it: a number, a name with or without SIG, in any
// case, or RTMIN+n / RTMAX-n.
Result<int> parse_signal(const std::string& text);

}  // namespace berth::runtime
