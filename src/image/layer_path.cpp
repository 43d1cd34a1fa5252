#include "image/layer_path.hpp"

#include <vector>

#include "base/strings.hpp"

namespace berth::image {

Result<std::string> clean_layer_path(const std::string& name) {
  std::vector<std::string> parts;
  for (auto& part : split(name, '/')) {
    if (part == "..") {
      if (parts.empty()) return fail_msg("escapes the target");
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

SplitPath split_layer_path(const std::string& clean) {
  auto slash = clean.rfind('/');
  if (slash == std::string::npos) return {"", clean};
  return {clean.substr(0, slash), clean.substr(slash + 1)};
}

std::string entry_context(const std::string& name) {
  return "layer entry " + quote(name);
}

}  // namespace berth::image
