#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace berth {

// Parses a whole JSON document; a syntax error names `what` and the byte where it was found.
Result<nlohmann::json> parse_json_text(std::string_view text, const std::string& what);

}  // namespace berth
