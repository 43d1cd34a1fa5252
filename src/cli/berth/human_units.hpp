#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace berth::cli {

// Docker's size column: decimal units with three significant digits ("4.26MB", "1.2kB").
std::string human_size(uint64_t bytes);
// Binary units with two decimals, as docker stats shows memory ("1.5MiB", "7.66GiB").
std::string human_binary_size(uint64_t bytes);
// Docker's "CREATED" column without " ago": "Less than a second", "About an hour", "2 weeks".
std::string human_duration(int64_t seconds);
// RFC 3339 with optional fraction and zone ("2024-01-02T03:04:05.123Z", "...+02:00").
std::optional<int64_t> parse_rfc3339(std::string_view text);
// "2024-01-02 03:04:05 +0000 UTC", as Go prints a time.
std::string go_time(int64_t unix_seconds);
// "2024-01-02T03:04:05Z".
std::string rfc3339(int64_t unix_seconds);

}  // namespace berth::cli
