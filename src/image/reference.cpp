#include "image/reference.hpp"

#include <algorithm>
#include <cctype>

#include "base/strings.hpp"

namespace berth::image {

namespace {

constexpr std::string_view kDockerHub = "docker.io";
constexpr std::string_view kOfficialPrefix = "library/";
constexpr size_t kMaxNameLength = 255;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool is_word(char c) {
  return is_alnum(c) || c == '_';
}

// alpha-numeric (separator alpha-numeric)*, with separator one of ".", "_", "__", "-"+.
bool valid_path_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < c.size() && !is_lower_alnum(c[i])) ++i;
    std::string_view sep = c.substr(start, i - start);
    bool dashes = std::all_of(sep.begin(), sep.end(), [](char x) { return x == '-'; });
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
  }
  return true;
}

bool valid_domain_label(std::string_view l) {
  if (l.empty() || !is_alnum(l.front()) || !is_alnum(l.back())) return false;
  return std::all_of(l.begin(), l.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool valid_port(std::string_view p) {
  return !p.empty() && p.size() <= 5 &&
         std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// host[:port], where host is dot-separated labels or a bracketed IPv6 address.
bool valid_domain(std::string_view d) {
  std::string_view host = d;
  if (d.starts_with('[')) {
    auto close = d.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view addr = d.substr(1, close - 1);
    if (!std::all_of(addr.begin(), addr.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      return false;
    std::string_view rest = d.substr(close + 1);
    return rest.empty() || (rest.front() == ':' && valid_port(rest.substr(1)));
  }
  if (auto colon = d.rfind(':'); colon != std::string_view::npos) {
    if (!valid_port(d.substr(colon + 1))) return false;
    host = d.substr(0, colon);
  }
  for (const auto& label : split(host, '.'))
    if (!valid_domain_label(label)) return false;
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128 || !is_word(t.front())) return false;
  return std::all_of(t.begin(), t.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The first component names a registry when it looks like a host: it has a '.' or a ':' (a port),
// or is "localhost". Otherwise the name is on Docker Hub.
std::pair<std::string, std::string> split_domain(std::string_view name) {
  auto slash = name.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = name.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost")
      return {std::string(first), std::string(name.substr(slash + 1))};
  }
  return {std::string(kDockerHub), std::string(name)};
}

}  // namespace

std::string Reference::name() const {
  return domain + "/" + path;
}

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

std::string Reference::familiar() const {
  std::string s = familiar_name(name());
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

Result<Reference> parse_reference(std::string_view text) {
  const std::string what = "invalid reference " + quote(std::string(text));
  if (text.empty()) return fail_msg(what + ": empty");
  if (is_hex64(text))
    return fail_msg(what +
                    ": a 64-character hexadecimal string is an image id, not a repository name");

  Reference ref;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    auto d = parse_digest(rest.substr(at + 1));
    if (!d) return fail_msg(what + ": " + d.error().what());
    ref.digest = std::move(*d);
    rest = rest.substr(0, at);
  }
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!valid_tag(tag))
      return fail_msg(
          what + ": invalid tag " + quote(std::string(tag)) +
          " (a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-')");
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return fail_msg(what + ": no repository name");

  auto [domain, path] = split_domain(rest);
  if (domain == "index.docker.io") domain = std::string(kDockerHub);
  if (!valid_domain(domain)) return fail_msg(what + ": invalid registry host " + quote(domain));
  if (std::any_of(path.begin(), path.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return fail_msg(what + ": repository name must be lowercase");
  for (const auto& component : split(path, '/'))
    if (!valid_path_component(component))
      return fail_msg(what + ": invalid repository name component " + quote(component));
  if (domain == kDockerHub && path.find('/') == std::string::npos)
    path = std::string(kOfficialPrefix) + path;
  if (domain.size() + 1 + path.size() > kMaxNameLength)
    return fail_msg(what + ": repository name is longer than " + std::to_string(kMaxNameLength) +
                    " characters");

  ref.domain = std::move(domain);
  ref.path = std::move(path);
  if (ref.tag.empty() && !ref.digest) ref.tag = "latest";
  return ref;
}

std::string familiar_name(std::string_view full_name) {
  std::string prefix = std::string(kDockerHub) + "/";
  if (!full_name.starts_with(prefix)) return std::string(full_name);
  std::string_view rest = full_name.substr(prefix.size());
  if (rest.starts_with(kOfficialPrefix)) {
    std::string_view short_name = rest.substr(kOfficialPrefix.size());
    auto end = short_name.find_first_of(":@");
    if (short_name.substr(0, end).find('/') == std::string_view::npos)
      return std::string(short_name);
  }
  // "docker.io/foo.com/bar" stays whole: "foo.com/bar" would name the registry foo.com.
  std::string_view first = rest.substr(0, rest.find('/'));
  if (rest.find('/') != std::string_view::npos &&
      (first.find_first_of(".:") != std::string_view::npos || first == "localhost"))
    return std::string(full_name);
  return std::string(rest);
}

}  // namespace berth::image
