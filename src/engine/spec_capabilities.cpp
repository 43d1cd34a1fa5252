#include "engine/spec_capabilities.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "runtime/capabilities.hpp"

namespace berth::engine {

namespace {

constexpr const char* kAll = "ALL";

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The capabilities a container may be given, in number order.
std::vector<std::string> available_capabilities(bool rootless) {
  int last = runtime::kernel_last_capability();
  uint64_t own = rootless || ::geteuid() != 0
                     ? ~uint64_t(0)
                     : runtime::own_capability_set("CapEff").value_or(~uint64_t(0));
  std::vector<std::string> out;
  for (const auto& name : runtime::all_capability_names()) {
    auto number = runtime::capability_from_name(name);
    if (number && *number <= last && *number < 64 && (own >> *number & 1)) out.push_back(name);
  }
  return out;
}

Result<std::vector<std::string>> normalize(const std::vector<std::string>& names,
                                           const std::vector<std::string>& available) {
  std::vector<std::string> out;
  for (auto name : names) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    if (name != kAll) {
      if (!name.starts_with("CAP_")) name = "CAP_" + name;
      if (!runtime::capability_from_name(name))
        return fail_msg("unknown capability: " + quote(name));
      if (!contains(available, name))
        return fail_msg(
            "capability not supported by your kernel or not available in the current "
            "environment: " +
            quote(name));
    }
    if (!contains(out, name)) out.push_back(name);
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> container_capabilities(const std::vector<std::string>& cap_add,
                                                        const std::vector<std::string>& cap_drop,
                                                        bool privileged, bool rootless) {
  auto available = available_capabilities(rootless);
  if (privileged) return available;
  auto drop = BERTH_TRY(normalize(cap_drop, available));
  auto add = BERTH_TRY(normalize(cap_add, available));
  std::vector<std::string> caps;
  if (contains(add, kAll)) {
    for (const auto& c : available)
      if (!contains(drop, c)) caps.push_back(c);
    return caps;
  }
  if (!contains(drop, kAll)) {
    for (const auto& c : runtime::docker_default_capabilities())
      if (!contains(drop, c)) caps.push_back(c);
  }
  for (const auto& c : add)
    if (!contains(caps, c)) caps.push_back(c);
  return caps;
}

}  // namespace berth::engine
