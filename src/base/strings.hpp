#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth {

// Splits at every separator; empty parts are kept ("a,,b" gives "a", "", "b"; "" gives "").
std::vector<std::string> split(std::string_view text, char separator);

// The parts with separator between them.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// ASCII case mapping (names, flags, headers): the locale is never consulted.
std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);

}  // namespace berth
