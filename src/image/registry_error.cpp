#include "image/registry_error.hpp"

#include <nlohmann/json.hpp>

namespace berth::image {

namespace {

// The registry's {"errors": [{"code": ..., "message": ...}]}, else the start of a short text body.
std::string body_detail(const HttpResponse& response) {
  auto j = nlohmann::json::parse(response.body, nullptr, false);
  std::string out;
  if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    for (const auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      std::string code =
          e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
      std::string message =
          e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
      std::string one = code.empty() ? message : message.empty() ? code : code + ": " + message;
      if (!one.empty()) out += (out.empty() ? "" : "; ") + one;
    }
    return out;
  }
  if (j.is_object() && j.contains("details") && j["details"].is_string())
    return j["details"].get<std::string>();
  if (!j.is_discarded()) return {};
  std::string text = response.body.substr(0, 200);
  for (auto& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (text.find('<') != std::string::npos)
    return {};  // an HTML page says nothing useful on one line
  return text;
}

}  // namespace

std::string describe_status(const HttpResponse& response) {
  std::string out = std::to_string(response.status);
  if (auto detail = body_detail(response); !detail.empty()) out += " (" + detail + ")";
  return out;
}

Error response_error(const std::string& method, const std::string& url,
                     const HttpResponse& response) {
  return plain_error(method + " " + url + ": " + describe_status(response));
}

}  // namespace berth::image
