#include "engine/userns_mode.hpp"

#include <charconv>

#include "base/strings.hpp"

namespace berth::engine {
namespace {

std::optional<uint32_t> parse_number(std::string_view text) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v == 4294967295u)
    return std::nullopt;
  return v;
}

// "key=N" -> N, when the key is the one wanted.
std::optional<uint32_t> option_value(std::string_view option, std::string_view key) {
  if (option.size() <= key.size() || !option.starts_with(key) || option[key.size()] != '=')
    return std::nullopt;
  return parse_number(option.substr(key.size() + 1));
}

std::optional<UsernsMode> parse(std::string_view value) {
  UsernsMode m;
  if (value.empty()) return m;
  const size_t colon = value.find(':');
  const std::string_view kind = value.substr(0, colon);
  const bool has_options = colon != std::string_view::npos;
  const std::string_view options = has_options ? value.substr(colon + 1) : std::string_view{};
  if (kind == "host" || kind == "private") {
    if (has_options) return std::nullopt;
    m.kind = kind == "host" ? UsernsMode::Kind::host : UsernsMode::Kind::private_;
    return m;
  }
  if (kind == "auto") {
    m.kind = UsernsMode::Kind::auto_;
    if (!has_options) return m;
    auto size = option_value(options, "size");
    if (!size || *size == 0) return std::nullopt;
    m.auto_size = *size;
    return m;
  }
  if (kind == "keep-id") {
    m.kind = UsernsMode::Kind::keep_id;
    if (!has_options) return m;
    for (const auto& option : split(options, ',')) {
      if (auto uid = option_value(option, "uid"); uid && !m.keep_uid)
        m.keep_uid = uid;
      else if (auto gid = option_value(option, "gid"); gid && !m.keep_gid)
        m.keep_gid = gid;
      else
        return std::nullopt;
    }
    return m;
  }
  return std::nullopt;
}

}  // namespace

std::string UsernsMode::str() const {
  switch (kind) {
    case Kind::unset:
      return "";
    case Kind::host:
      return "host";
    case Kind::private_:
      return "private";
    case Kind::auto_:
      return auto_size == 0 ? "auto" : "auto:size=" + std::to_string(auto_size);
    case Kind::keep_id: {
      std::vector<std::string> options;
      if (keep_uid) options.push_back("uid=" + std::to_string(*keep_uid));
      if (keep_gid) options.push_back("gid=" + std::to_string(*keep_gid));
      return options.empty() ? "keep-id" : "keep-id:" + join(options, ",");
    }
  }
  return "";
}

Result<UsernsMode> parse_userns_mode(std::string_view value) {
  auto mode = parse(value);
  if (!mode)
    return fail_msg("--userns " + quote(std::string(value)) +
                    ": invalid value (host, private, auto[:size=N] or keep-id[:uid=U,gid=G])");
  return *mode;
}

}  // namespace berth::engine
