#include "image/dockerfile_changes.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>

#include "base/strings.hpp"

namespace berth::image {

namespace {

using Env = std::map<std::string, std::string>;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_name_char(char c, bool first) {
  return c == '_' || std::isalpha(static_cast<unsigned char>(c)) ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

Env env_of(const nlohmann::json& config) {
  Env env;
  if (!config.contains("Env") || !config["Env"].is_array()) return env;
  for (const auto& e : config["Env"]) {
    if (!e.is_string()) continue;
    auto s = e.get<std::string>();
    auto eq = s.find('=');
    env[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
  }
  return env;
}

// One word as a shell reads it: quotes removed, backslash escapes applied, variables expanded
// (when env is given) outside single quotes. Whitespace is kept.
Result<std::string> shell_word(std::string_view text, const Env* env);

Result<std::string> expand_variable(std::string_view text, size_t& i, const Env& env) {
  // text[i] == '$'
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  if (i + 1 < text.size() && text[i + 1] == '{') {
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      return fail_msg("missing '}' in " + quote(std::string(text)));
    std::string_view inner = text.substr(i + 2, close - i - 2);
    i = close + 1;
    size_t n = 0;
    while (n < inner.size() && is_name_char(inner[n], n == 0)) ++n;
    if (n == 0) return fail_msg("bad substitution " + quote(std::string(inner)));
    std::string name(inner.substr(0, n));
    std::string_view rest = inner.substr(n);
    auto value = lookup(name);
    if (rest.empty()) return value.value_or("");
    if (rest.starts_with(":-"))
      return value && !value->empty() ? *value : BERTH_TRY(shell_word(rest.substr(2), &env));
    if (rest.starts_with(":+"))
      return value && !value->empty() ? BERTH_TRY(shell_word(rest.substr(2), &env)) : "";
    return fail_msg("unsupported substitution " + quote(std::string(inner)));
  }
  size_t n = 0;
  while (i + 1 + n < text.size() && is_name_char(text[i + 1 + n], n == 0)) ++n;
  if (n == 0) {
    ++i;
    return std::string("$");
  }
  std::string name(text.substr(i + 1, n));
  i += 1 + n;
  return lookup(name).value_or("");
}

Result<std::string> shell_word(std::string_view text, const Env* env) {
  std::string out;
  char quote_char = 0;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (quote_char == '\'') {
      if (c == '\'')
        quote_char = 0;
      else
        out += c;
      ++i;
    } else if (c == '\\' && i + 1 < text.size()) {
      char next = text[i + 1];
      // Inside double quotes a backslash escapes only what double quotes give meaning to.
      if (quote_char == '"' && next != '"' && next != '\\' && next != '$') out += c;
      out += next;
      i += 2;
    } else if (c == '$' && env != nullptr) {
      out += BERTH_TRY(expand_variable(text, i, *env));
    } else if (c == '"') {
      quote_char = quote_char == '"' ? 0 : '"';
      ++i;
    } else if (c == '\'' && quote_char == 0) {
      quote_char = '\'';
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  if (quote_char != 0) return fail_msg("unterminated quote in " + quote(std::string(text)));
  return out;
}

// The words of text, split at whitespace outside quotes, still quoted.
std::vector<std::string_view> raw_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t start = std::string_view::npos;
  char quote_char = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote_char == 0 && is_space(c)) {
      if (start != std::string_view::npos) words.push_back(text.substr(start, i - start));
      start = std::string_view::npos;
      continue;
    }
    if (start == std::string_view::npos) start = i;
    if (c == '\\' && quote_char != '\'' && i + 1 < text.size()) {
      ++i;
    } else if (quote_char == 0 && (c == '"' || c == '\'')) {
      quote_char = c;
    } else if (c == quote_char) {
      quote_char = 0;
    }
  }
  if (start != std::string_view::npos) words.push_back(text.substr(start));
  return words;
}

Result<std::vector<std::string>> shell_words(std::string_view text, const Env& env) {
  std::vector<std::string> out;
  for (auto w : raw_words(text)) out.push_back(BERTH_TRY(shell_word(w, &env)));
  return out;
}

// The JSON form (["a", "b"]), when text is one.
std::optional<std::vector<std::string>> json_form(std::string_view text) {
  if (!text.starts_with("[")) return std::nullopt;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) return std::nullopt;
    out.push_back(e.get<std::string>());
  }
  return out;
}

nlohmann::json command(std::string_view args) {
  if (auto exec = json_form(args)) {
    if (exec->empty()) return nullptr;
    return *exec;
  }
  return nlohmann::json::array({"/bin/sh", "-c", std::string(args)});
}

// key=value pairs, or the legacy `key value` form.
Result<std::vector<std::pair<std::string, std::string>>> pairs(std::string_view args,
                                                               const Env& env) {
  auto words = raw_words(args);
  std::vector<std::pair<std::string, std::string>> out;
  if (words.front().find('=') == std::string_view::npos) {
    std::string_view value = trim(args.substr(words.front().size()));
    if (value.empty()) return fail_msg(quote(std::string(words.front())) + " has no value");
    out.emplace_back(BERTH_TRY(shell_word(words.front(), &env)),
                     BERTH_TRY(shell_word(value, &env)));
    return out;
  }
  for (auto w : words) {
    auto eq = w.find('=');
    if (eq == std::string_view::npos) return fail_msg(quote(std::string(w)) + " is not key=value");
    auto key = BERTH_TRY(shell_word(w.substr(0, eq), &env));
    if (key.empty()) return fail_msg(quote(std::string(w)) + " has an empty key");
    out.emplace_back(std::move(key), BERTH_TRY(shell_word(w.substr(eq + 1), &env)));
  }
  return out;
}

Result<uint16_t> port_number(std::string_view s, const std::string& what) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value == 0 || value > 65535)
    return fail_msg("invalid port " + quote(what));
  return static_cast<uint16_t>(value);
}

// "80", "80/udp", "8000-8002/tcp" -> "80/tcp"...
Result<std::vector<std::string>> exposed_ports(const std::string& word) {
  std::string_view spec = word;
  std::string proto = "tcp";
  if (auto slash = spec.find('/'); slash != std::string_view::npos) {
    proto = to_lower(std::string(spec.substr(slash + 1)));
    spec = spec.substr(0, slash);
    if (proto != "tcp" && proto != "udp" && proto != "sctp")
      return fail_msg("invalid protocol in port " + quote(word));
  }
  auto dash = spec.find('-');
  uint16_t first = BERTH_TRY(port_number(spec.substr(0, dash), word));
  uint16_t last =
      dash == std::string_view::npos ? first : BERTH_TRY(port_number(spec.substr(dash + 1), word));
  if (last < first) return fail_msg("invalid port range " + quote(word));
  std::vector<std::string> out;
  for (unsigned p = first; p <= last; ++p) out.push_back(std::to_string(p) + "/" + proto);
  return out;
}

std::string clean_absolute(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(i, slash - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    i = slash + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

bool valid_signal(const std::string& s) {
  if (s.empty()) return false;
  unsigned n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec == std::errc() && end == s.data() + s.size()) return n > 0 && n <= 64;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-';
  });
}

struct State {
  bool cmd_set = false;
};

Status apply_one(nlohmann::json& config, State& state, std::string_view line) {
  line = trim(line);
  size_t end = 0;
  while (end < line.size() && !is_space(line[end])) ++end;
  const std::string keyword = to_upper(std::string(line.substr(0, end)));
  std::string_view args = trim(line.substr(end));
  if (keyword.empty()) return fail_msg("empty instruction");
  if (args.empty()) return fail_msg(keyword + " needs an argument");
  const Env env = env_of(config);

  if (keyword == "CMD") {
    config["Cmd"] = command(args);
    state.cmd_set = true;
  } else if (keyword == "ENTRYPOINT") {
    config["Entrypoint"] = command(args);
    // As in a Dockerfile: a new entrypoint drops the CMD that came with the image.
    if (!state.cmd_set) config["Cmd"] = nullptr;
  } else if (keyword == "ENV") {
    auto& list = config["Env"];
    if (!list.is_array()) list = nlohmann::json::array();
    for (auto& [key, value] : BERTH_TRY(pairs(args, env))) {
      std::string entry = key + "=" + value;
      auto same = std::find_if(list.begin(), list.end(), [&](const nlohmann::json& e) {
        return e.is_string() && e.get<std::string>().starts_with(key + "=");
      });
      if (same != list.end())
        *same = entry;
      else
        list.push_back(entry);
    }
  } else if (keyword == "LABEL") {
    auto& labels = config["Labels"];
    if (!labels.is_object()) labels = nlohmann::json::object();
    for (auto& [key, value] : BERTH_TRY(pairs(args, env))) labels[key] = value;
  } else if (keyword == "EXPOSE") {
    auto& ports = config["ExposedPorts"];
    if (!ports.is_object()) ports = nlohmann::json::object();
    for (const auto& word : BERTH_TRY(shell_words(args, env)))
      for (const auto& port : BERTH_TRY(exposed_ports(word)))
        ports[port] = nlohmann::json::object();
  } else if (keyword == "VOLUME") {
    auto& volumes = config["Volumes"];
    if (!volumes.is_object()) volumes = nlohmann::json::object();
    auto paths = json_form(args);
    if (!paths) paths = BERTH_TRY(shell_words(args, env));
    for (const auto& p : *paths) {
      if (trim(p).empty()) return fail_msg("VOLUME with an empty path");
      volumes[std::string(trim(p))] = nlohmann::json::object();
    }
  } else if (keyword == "USER") {
    config["User"] = BERTH_TRY(shell_word(args, &env));
  } else if (keyword == "WORKDIR") {
    std::string dir = BERTH_TRY(shell_word(args, &env));
    if (!dir.starts_with("/")) {
      std::string base = config.value("WorkingDir", std::string());
      dir = (base.empty() ? "/" : base) + "/" + dir;
    }
    config["WorkingDir"] = clean_absolute(dir);
  } else if (keyword == "STOPSIGNAL") {
    std::string signal = BERTH_TRY(shell_word(args, &env));
    if (!valid_signal(signal)) return fail_msg("invalid signal " + quote(signal));
    config["StopSignal"] = signal;
  } else {
    return fail_msg(keyword +
                    " is not supported (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, "
                    "VOLUME, WORKDIR)");
  }
  return {};
}

}  // namespace

Status apply_changes(nlohmann::json& config, const std::vector<std::string>& changes) {
  if (!config.is_object()) config = nlohmann::json::object();
  State state;
  for (const auto& change : changes) {
    auto status = apply_one(config, state, change);
    if (!status) return fail(status.error().wrap("change " + quote(change)));
  }
  return {};
}

}  // namespace berth::image
