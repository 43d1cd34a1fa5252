#include "cli/berth/platform_flag.hpp"

#include "base/strings.hpp"

namespace berth::cli {

Result<image::Platform> parse_platform_flag(std::string_view text) {
  if (text.empty()) return image::host_platform();
  auto parts = split(text, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
    return fail_msg("--platform " + quote(std::string(text)) +
                    ": expected os/architecture[/variant], e.g. linux/amd64");
  image::Platform p;
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  if (p.architecture == "arm64" && p.variant.empty()) p.variant = "v8";
  return p;
}

}  // namespace berth::cli
