#include "engine/volume_options.hpp"

#include <sys/mount.h>

#include <cctype>
#include <charconv>
#include <optional>

#include "base/strings.hpp"
#include "runtime/mount_options.hpp"

namespace berth::engine {

namespace {

// go-units' RAMInBytes: a number with an optional binary suffix (k, kb, kib, m, ...).
std::optional<uint64_t> ram_in_bytes(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() || value < 0) return std::nullopt;
  std::string suffix = to_lower(std::string_view(end, text.data() + text.size() - end));
  static const std::pair<const char*, int> kUnits[] = {{"", 0},  {"k", 1}, {"m", 2},
                                                       {"g", 3}, {"t", 4}, {"p", 5}};
  for (const auto& [unit, power] : kUnits) {
    std::string u = unit;
    if (suffix == u || (!u.empty() && (suffix == u + "b" || suffix == u + "ib")) ||
        (u.empty() && suffix == "b")) {
      double bytes = value;
      for (int i = 0; i < power; ++i) bytes *= 1024;
      return static_cast<uint64_t>(bytes);
    }
  }
  return std::nullopt;
}

}  // namespace

Status check_local_volume_options(const VolumeOptions& options) {
  for (const auto& [key, value] : options)
    if (key != "type" && key != "device" && key != "o" && key != "size")
      return fail_msg("invalid option: " + quote(key));
  if (auto it = options.find("size"); it != options.end()) {
    auto bytes = ram_in_bytes(it->second);
    if (!bytes) return fail_msg("invalid size: '" + it->second + "'");
    if (*bytes > 0) return fail_msg("quota size requested but no quota support");
  }
  auto require = [&](const char* key, const char* needed) -> Status {
    if (options.contains(key) && !options.contains(needed))
      return fail_msg("missing required option: " + quote(needed));
    return {};
  };
  BERTH_CHECK(require("device", "type"));
  BERTH_CHECK(require("type", "device"));
  BERTH_CHECK(require("o", "device"));
  BERTH_CHECK(require("o", "type"));
  return {};
}

bool local_volume_needs_mount(const VolumeOptions& options) {
  auto nonempty = [&](const char* key) {
    auto it = options.find(key);
    return it != options.end() && !it->second.empty();
  };
  return nonempty("type") || nonempty("device");
}

Result<LocalVolumeMount> local_volume_mount(const VolumeOptions& options) {
  LocalVolumeMount m;
  if (auto it = options.find("device"); it != options.end()) m.source = it->second;
  if (auto it = options.find("type"); it != options.end()) m.type = it->second;
  if (m.source.empty()) return fail_msg("missing device in volume options");
  std::vector<std::string> parts;
  if (auto it = options.find("o"); it != options.end() && !it->second.empty())
    for (auto& p : split(it->second, ','))
      if (!p.empty()) parts.push_back(std::move(p));
  // mount(8)'s split: words it knows are flags, the rest is the filesystem's data.
  auto parsed = runtime::parse_mount_options(parts, false);
  if (!parsed) return fail(parsed.error().wrap("volume option o=" + options.at("o")));
  m.flags = parsed->flags;
  m.data = parsed->data;
  m.propagation = parsed->propagation;
  m.bind = (m.flags & MS_BIND) != 0;
  // The kernel takes no data for a bind mount.
  if (m.bind) m.data.clear();
  return m;
}

}  // namespace berth::engine
