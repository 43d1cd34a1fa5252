#include "cli/berth/container_flag_values.hpp"

#include <signal.h>
#include <string.h>

#include <cctype>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/fs.hpp"
#include "base/strings.hpp"

namespace berth::cli {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<bool> parse_bool(const std::string& v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False")
    return false;
  return std::nullopt;
}

bool valid_device_mode(const std::string& mode) {
  if (mode.empty()) return false;
  bool seen[3] = {};
  for (char c : mode) {
    int i = c == 'r' ? 0 : c == 'w' ? 1 : c == 'm' ? 2 : -1;
    if (i < 0 || seen[i]) return false;
    seen[i] = true;
  }
  return true;
}

std::string absolute_if_dotted(const std::string& path) {
  if (path.empty() || path[0] == '/' || path[0] != '.') return path;
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

// Go's encoding/csv for one record: fields split at commas, double quotes around a field may
// hold commas, "" inside quotes is one quote.
Result<std::vector<std::string>> csv_fields(const std::string& text) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      out.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '"') {
      return fail_msg("bare \" in non-quoted field");
    } else {
      field += c;
    }
  }
  if (quoted) return fail_msg("extraneous or missing \" in quoted field");
  out.push_back(std::move(field));
  return out;
}

void set_on_map(std::map<std::string, std::string>& m, const std::string& value) {
  auto eq = value.find('=');
  std::string key = value.substr(0, eq);
  if (!key.empty()) m[key] = eq == std::string::npos ? "" : value.substr(eq + 1);
}

// A KEY=VALUE file as the docker CLI reads --env-file and --label-file.
Result<std::vector<std::string>> read_kv_file(const std::string& path, bool lookup) {
  auto text = fs::read_file(path);
  if (!text) return fail(text.error());
  std::vector<std::string> out;
  auto lines = split(*text, '\n');
  for (size_t n = 0; n < lines.size(); ++n) {
    std::string line = lines[n];
    if (n == 0 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t start = 0;
    while (start < line.size() && std::isspace(static_cast<unsigned char>(line[start]))) ++start;
    line.erase(0, start);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    std::string key = line.substr(0, eq);
    if (key.empty())
      return fail_msg("invalid env file (" + path + "): no variable name on line '" + line + "'");
    if (key.find_first_of(" \t") != std::string::npos)
      return fail_msg("invalid env file (" + path + "): variable '" + key +
                      "' contains whitespaces");
    if (eq != std::string::npos) {
      out.push_back(line);
    } else if (lookup) {
      if (const char* v = ::getenv(key.c_str())) out.push_back(key + "=" + v);
    }
  }
  return out;
}

}  // namespace

Result<int64_t> parse_ram_size(const std::string& text) {
  auto invalid = [&] { return fail_msg("invalid size: '" + text + "'"); };
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0) return invalid();
  if (i < text.size() && text[i] == '.') {
    size_t frac = ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == frac) return invalid();
  }
  std::string number = text.substr(0, i);
  if (i < text.size() && text[i] == ' ') ++i;
  int64_t multiplier = 1;
  if (i < text.size()) {
    switch (std::tolower(static_cast<unsigned char>(text[i]))) {
      case 'k':
        multiplier = int64_t(1) << 10;
        ++i;
        break;
      case 'm':
        multiplier = int64_t(1) << 20;
        ++i;
        break;
      case 'g':
        multiplier = int64_t(1) << 30;
        ++i;
        break;
      case 't':
        multiplier = int64_t(1) << 40;
        ++i;
        break;
      case 'p':
        multiplier = int64_t(1) << 50;
        ++i;
        break;
      default:
        break;
    }
  }
  if (i < text.size() && (text[i] == 'i' || text[i] == 'I')) ++i;
  if (i < text.size() && (text[i] == 'b' || text[i] == 'B')) ++i;
  if (i != text.size()) return invalid();
  double value = std::strtod(number.c_str(), nullptr) * static_cast<double>(multiplier);
  if (value >= 9.2e18) return invalid();
  return static_cast<int64_t>(value);
}

Result<int64_t> parse_nano_cpus(const std::string& text) {
  auto not_rational = [&] { return fail_msg("failed to parse " + text + " as a rational number"); };
  auto too_precise = [] { return fail_msg("value is too precise to be converted to nano cpus"); };
  auto slash = text.find('/');
  if (slash != std::string::npos) {
    auto num = text.substr(0, slash), den = text.substr(slash + 1);
    bool negative = !num.empty() && num[0] == '-';
    if (!all_digits(negative ? num.substr(1) : num) || !all_digits(den)) return not_rational();
    long long n = std::strtoll(num.c_str(), nullptr, 10),
              d = std::strtoll(den.c_str(), nullptr, 10);
    if (d == 0) return not_rational();
    __int128 scaled = static_cast<__int128>(n) * 1000000000;
    if (scaled % d != 0) return too_precise();
    return static_cast<int64_t>(scaled / d);
  }
  // [-]digits[.digits][e[-]digits], kept exact: mantissa digits and a power of ten.
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  std::string digits;
  int exponent = 0;
  size_t mantissa_start = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) digits += text[i++];
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      digits += text[i++];
      --exponent;
    }
  }
  if (digits.empty() || i == mantissa_start) return not_rational();
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::string e = text.substr(i + 1);
    int ev = 0;
    auto [end, ec] = std::from_chars(e.data(), e.data() + e.size(), ev);
    if (ec != std::errc() || end != e.data() + e.size()) return not_rational();
    exponent += ev;
    i = text.size();
  }
  if (i != text.size()) return not_rational();
  exponent += 9;
  while (exponent < 0) {
    if (digits.back() != '0') return too_precise();
    digits.pop_back();
    ++exponent;
    if (digits.empty()) digits = "0";
  }
  if (digits.size() + static_cast<size_t>(exponent) > 19) return fail_msg("value is too large");
  digits.append(static_cast<size_t>(exponent), '0');
  unsigned long long v = std::strtoull(digits.c_str(), nullptr, 10);
  if (v > static_cast<unsigned long long>(INT64_MAX)) return fail_msg("value is too large");
  return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

Result<int64_t> parse_int64(const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range)
    return fail_msg("strconv.ParseInt: parsing " + quote(text) + ": value out of range");
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    return fail_msg("strconv.ParseInt: parsing " + quote(text) + ": invalid syntax");
  return v;
}

Result<engine::Ulimit> parse_ulimit(const std::string& text) {
  static const char* names[] = {"core",    "cpu",      "data",   "fsize",      "locks",
                                "memlock", "msgqueue", "nice",   "nofile",     "nproc",
                                "rss",     "rtprio",   "rttime", "sigpending", "stack"};
  auto eq = text.find('=');
  if (eq == std::string::npos) return fail_msg("invalid ulimit argument: " + text);
  engine::Ulimit u;
  u.name = text.substr(0, eq);
  if (std::none_of(std::begin(names), std::end(names), [&](const char* n) { return u.name == n; }))
    return fail_msg("invalid ulimit type: " + u.name);
  std::string values = text.substr(eq + 1);
  auto colon = values.find(':');
  u.soft = BERTH_TRY(parse_int64(values.substr(0, colon)));
  u.hard = colon == std::string::npos ? u.soft : BERTH_TRY(parse_int64(values.substr(colon + 1)));
  if (u.hard != -1) {
    if (u.soft == -1)
      return fail_msg(
          "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), "
          "hard: " +
          std::to_string(u.hard));
    if (u.soft > u.hard)
      return fail_msg("ulimit soft limit must be less than or equal to hard limit: " +
                      std::to_string(u.soft) + " > " + std::to_string(u.hard));
  }
  return u;
}

Result<engine::DeviceMapping> parse_device(const std::string& text) {
  auto parts = split(text, ':');
  if (parts.size() > 3 || parts[0].empty()) return fail_msg("bad format for path: " + text);
  engine::DeviceMapping d;
  d.path_on_host = parts[0];
  d.cgroup_permissions = "rwm";
  if (parts.size() == 2) {
    if (valid_device_mode(parts[1])) {
      d.cgroup_permissions = parts[1];
    } else {
      d.path_in_container = parts[1];
    }
  } else if (parts.size() == 3) {
    if (!valid_device_mode(parts[2])) return fail_msg("bad mode specified: " + parts[2]);
    d.path_in_container = parts[1];
    d.cgroup_permissions = parts[2];
  }
  if (d.path_in_container.empty()) d.path_in_container = d.path_on_host;
  if (d.path_in_container[0] != '/')
    return fail_msg(d.path_in_container + " is not an absolute path");
  if (d.path_on_host[0] != '/') return fail_msg(d.path_on_host + " is not an absolute path");
  return d;
}

Result<engine::RestartPolicy> parse_restart_policy(const std::string& text) {
  engine::RestartPolicy p;
  if (text.empty()) return p;
  auto colon = text.find(':');
  p.name = text.substr(0, colon);
  if (colon != std::string::npos && p.name.empty())
    return fail_msg("invalid restart policy format: no policy provided before colon");
  if (colon != std::string::npos && colon + 1 < text.size()) {
    auto count = parse_int64(text.substr(colon + 1));
    if (!count || *count > INT_MAX || *count < INT_MIN)
      return fail_msg("invalid restart policy format: maximum retry count must be an integer");
    p.maximum_retry_count = static_cast<int>(*count);
  }
  if (p.name == "always" || p.name == "unless-stopped" || p.name == "no") {
    if (p.maximum_retry_count != 0)
      return fail_msg(
          "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  } else if (p.name == "on-failure") {
    if (p.maximum_retry_count < 0)
      return fail_msg("invalid restart policy: maximum retry count cannot be negative");
  } else {
    return fail_msg("invalid restart policy: unknown policy '" + p.name +
                    "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  }
  return p;
}

Result<engine::MountSpec> parse_mount_flag(const std::string& raw) {
  std::string text = raw;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.erase(0, 1);
  if (text.empty()) return fail_msg("value is empty");
  engine::MountSpec m;
  m.type = "volume";
  bool bind_opts = false, volume_opts = false, tmpfs_opts = false;
  auto bool_value = [](const std::string& key, const std::string& value,
                       bool has_value) -> Result<bool> {
    if (!has_value) return true;
    auto b = parse_bool(value);
    if (!b)
      return fail_msg("invalid value for '" + key + "': invalid boolean value (" + quote(value) +
                      "): must be one of \"true\", \"1\", \"false\", or \"0\" (default \"true\")");
    return *b;
  };
  for (const auto& field : BERTH_TRY(csv_fields(text))) {
    auto eq = field.find('=');
    bool has_value = eq != std::string::npos;
    std::string key = field.substr(0, eq);
    std::string value = has_value ? field.substr(eq + 1) : "";
    if (key.find_first_of(" \t") != std::string::npos)
      return fail_msg("invalid option '" + key + "' in '" + field +
                      "': option should not have whitespace");
    if (has_value && value.empty())
      return fail_msg("invalid value for '" + key + "': value is empty");
    key = to_lower(key);
    if (!has_value && key != "readonly" && key != "ro" && key != "volume-nocopy" &&
        key != "bind-create-src")
      return fail_msg("invalid field '" + field + "' must be a key=value pair");
    if (key == "type") {
      m.type = to_lower(value);
    } else if (key == "source" || key == "src") {
      m.source = absolute_if_dotted(value);
    } else if (key == "target" || key == "dst" || key == "destination") {
      m.target = value;
    } else if (key == "readonly" || key == "ro") {
      m.read_only = BERTH_TRY(bool_value(key, value, has_value));
    } else if (key == "consistency") {
      m.consistency = to_lower(value);
    } else if (key == "bind-propagation") {
      bind_opts = true;
      if (!m.bind_options) m.bind_options.emplace();
      m.bind_options->propagation = to_lower(value);
    } else if (key == "bind-nonrecursive") {
      return fail_msg("bind-nonrecursive is deprecated, use bind-recursive=disabled instead");
    } else if (key == "bind-recursive") {
      bind_opts = true;
      if (!m.bind_options) m.bind_options.emplace();
      if (value == "disabled") {
        m.bind_options->non_recursive = true;
      } else if (value == "writable") {
        m.bind_options->read_only_non_recursive = true;
      } else if (value == "readonly") {
        m.bind_options->read_only_force_recursive = true;
      } else if (value != "enabled") {
        return fail_msg("invalid value for bind-recursive: " + value +
                        " (must be \"enabled\", \"disabled\", \"writable\", or \"readonly\")");
      }
    } else if (key == "bind-create-src") {
      bind_opts = true;
      if (!m.bind_options) m.bind_options.emplace();
      m.bind_options->create_mountpoint = BERTH_TRY(bool_value(key, value, has_value));
    } else if (key == "idmap") {
      bind_opts = true;
      if (!m.bind_options) m.bind_options.emplace();
      m.bind_options->idmap = value;
    } else if (key == "volume-subpath" || key == "volume-nocopy" || key == "volume-label" ||
               key == "volume-driver" || key == "volume-opt") {
      volume_opts = true;
      if (!m.volume_options) m.volume_options.emplace();
      auto& v = *m.volume_options;
      if (key == "volume-subpath") {
        v.subpath = value;
      } else if (key == "volume-nocopy") {
        v.no_copy = BERTH_TRY(bool_value(key, value, has_value));
      } else if (key == "volume-label") {
        set_on_map(v.labels, value);
      } else {
        if (!v.driver_config) v.driver_config.emplace();
        if (key == "volume-driver") {
          v.driver_config->name = value;
        } else {
          set_on_map(v.driver_config->options, value);
        }
      }
    } else if (key == "tmpfs-size") {
      tmpfs_opts = true;
      auto size = parse_ram_size(value);
      if (!size) return fail_msg("invalid value for " + key + ": " + value);
      if (!m.tmpfs_options) m.tmpfs_options.emplace();
      m.tmpfs_options->size_bytes = *size;
    } else if (key == "tmpfs-mode") {
      tmpfs_opts = true;
      unsigned long mode = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), mode, 8);
      if (ec != std::errc() || end != value.data() + value.size() || mode > 07777)
        return fail_msg("invalid value for " + key + ": " + value);
      if (!m.tmpfs_options) m.tmpfs_options.emplace();
      m.tmpfs_options->mode = static_cast<uint32_t>(mode);
    } else {
      return fail_msg("unknown option '" + key + "' in '" + field + "'");
    }
  }
  auto mix = [&](const char* opts, bool used, const char* type) -> Status {
    if (used && m.type != type)
      return fail_msg(std::string("cannot mix '") + opts + "-*' options with mount type '" +
                      m.type + "'");
    return {};
  };
  BERTH_CHECK(mix("bind", bind_opts, "bind"));
  BERTH_CHECK(mix("volume", volume_opts, "volume"));
  BERTH_CHECK(mix("tmpfs", tmpfs_opts, "tmpfs"));
  if (m.target.empty()) return fail_msg("target is required");
  return m;
}

Result<int> parse_signal(const std::string& text) {
  auto invalid = [&] { return fail_msg("invalid signal: " + text); };
  if (all_digits(text)) {
    int n = std::atoi(text.c_str());
    if (n <= 0 || n >= NSIG) return invalid();
    return n;
  }
  std::string name = to_upper(text);
  if (name.starts_with("SIG")) name.erase(0, 3);
  for (int sig = 1; sig < SIGRTMIN; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev && name == abbrev) return sig;
  }
  // RTMIN, RTMIN+N, RTMAX, RTMAX-N.
  for (auto [prefix, base, sign] :
       {std::tuple{"RTMIN", SIGRTMIN, 1}, std::tuple{"RTMAX", SIGRTMAX, -1}}) {
    std::string p = prefix;
    if (!name.starts_with(p)) continue;
    std::string rest = name.substr(p.size());
    int offset = 0;
    if (!rest.empty()) {
      if (rest[0] != (sign > 0 ? '+' : '-') || !all_digits(rest.substr(1))) return invalid();
      offset = std::atoi(rest.c_str() + 1);
    }
    int sig = base + sign * offset;
    if (sig < SIGRTMIN || sig > SIGRTMAX) return invalid();
    return sig;
  }
  return invalid();
}

Result<std::vector<std::string>> read_env_file(const std::string& path) {
  return read_kv_file(path, true);
}

Result<std::vector<std::string>> read_label_file(const std::string& path) {
  return read_kv_file(path, false);
}

Result<std::vector<std::string>> parse_expose(const std::string& text) {
  auto slash = text.find('/');
  std::string range = text.substr(0, slash);
  std::string proto = slash == std::string::npos ? "tcp" : to_lower(text.substr(slash + 1));
  if (proto != "tcp" && proto != "udp" && proto != "sctp")
    return fail_msg("invalid proto: " + proto);
  auto dash = range.find('-');
  std::string first = range.substr(0, dash);
  std::string last = dash == std::string::npos ? first : range.substr(dash + 1);
  if (!all_digits(first) || !all_digits(last) || first.size() > 5 || last.size() > 5)
    return fail_msg("invalid port range: " + range);
  int lo = std::atoi(first.c_str()), hi = std::atoi(last.c_str());
  if (lo > 65535 || hi > 65535 || hi < lo) return fail_msg("invalid port range: " + range);
  std::vector<std::string> out;
  for (int p = lo; p <= hi; ++p) out.push_back(std::to_string(p) + "/" + proto);
  return out;
}

}  // namespace berth::cli
