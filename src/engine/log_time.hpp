#pragma once

#include <time.h>

#include <optional>
#include <string_view>

#include "base/error.hpp"

namespace berth::engine {

// Docker's --since/--until values: an RFC 3339 time (date only, without seconds, fraction or zone
// too; without a zone in local time), a Unix time with fraction ("1700000000.5") or a duration
// before now ("10m", "1h30m", "42s"). Errors: `invalid value for "since": "xyz"`.
Result<struct timespec> parse_log_time(std::string_view flag, std::string_view value,
                                       const struct timespec& now);
Result<struct timespec> parse_log_time(std::string_view flag, std::string_view value);

// An RFC 3339 time as written in logs and inspect ("2026-11-26T11:48:36.123456789Z").
std::optional<struct timespec> parse_rfc3339(std::string_view text);

// a < b, a == b, a > b as -1, 0, 1.
int compare_timespec(const struct timespec& a, const struct timespec& b);

}  // namespace berth::engine
