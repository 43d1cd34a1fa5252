#include "base/json_text.hpp"

namespace berth {

Result<nlohmann::json> parse_json_text(std::string_view text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return fail_msg(what + ": invalid JSON at byte " + std::to_string(e.byte));
  }
}

}  // namespace berth
