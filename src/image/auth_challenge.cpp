#include "image/auth_challenge.hpp"

#include <cctype>
#include <cstring>

#include "base/json_reader.hpp"
#include "base/json_text.hpp"
#include "base/strings.hpp"

namespace berth::image {

namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c));
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return p_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[p_]; }
  size_t pos() const { return p_; }
  void seek(size_t p) { p_ = p; }
  void skip_space() {
    while (!done() && (s_[p_] == ' ' || s_[p_] == '\t')) ++p_;
  }
  void skip_space_and_commas() {
    while (!done() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == ',')) ++p_;
  }
  std::string token() {
    size_t start = p_;
    while (!done() && is_token_char(s_[p_])) ++p_;
    return std::string(s_.substr(start, p_ - start));
  }
  // After the opening quote; backslash escapes the next character.
  std::string quoted() {
    std::string out;
    while (!done() && s_[p_] != '"') {
      if (s_[p_] == '\\' && p_ + 1 < s_.size()) ++p_;
      out += s_[p_++];
    }
    if (!done()) ++p_;
    return out;
  }
  std::string until_comma() {
    size_t start = p_;
    while (!done() && s_[p_] != ',') ++p_;
    std::string_view v = s_.substr(start, p_ - start);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return std::string(v);
  }

 private:
  std::string_view s_;
  size_t p_ = 0;
};

// name = value, or nothing (the scanner unmoved) when what follows is not a parameter.
bool read_param(Scanner& s, AuthChallenge& c) {
  size_t start = s.pos();
  std::string name = s.token();
  s.skip_space();
  if (name.empty() || s.peek() != '=') {
    s.seek(start);
    return false;
  }
  s.seek(s.pos() + 1);
  s.skip_space();
  std::string value;
  if (s.peek() == '"') {
    s.seek(s.pos() + 1);
    value = s.quoted();
  } else {
    value = s.token();
    if (value.empty()) {  // "abc==": a token68, not a parameter
      s.seek(start);
      return false;
    }
  }
  c.params[to_lower(name)] = value;
  return true;
}

}  // namespace

std::string AuthChallenge::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

std::vector<AuthChallenge> parse_www_authenticate(std::string_view header) {
  std::vector<AuthChallenge> out;
  Scanner s(header);
  for (;;) {
    s.skip_space_and_commas();
    if (s.done()) break;
    AuthChallenge c;
    c.scheme = to_lower(s.token());
    if (c.scheme.empty()) {
      s.until_comma();  // garbage: skip to the next challenge
      if (!s.done()) s.seek(s.pos() + 1);
      continue;
    }
    s.skip_space();
    if (!s.done() && s.peek() != ',' && !read_param(s, c)) {
      c.params["token68"] = s.until_comma();
    }
    // More parameters follow commas; a bare token after a comma starts the next challenge.
    for (;;) {
      size_t before = s.pos();
      s.skip_space_and_commas();
      if (s.done() || !read_param(s, c)) {
        if (!s.done()) s.seek(before);
        break;
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

Result<BearerToken> parse_token_response(std::string_view body) {
  auto j = BERTH_TRY(parse_json_text(body, "token response"));
  JsonReader r(j, "token response");
  BERTH_CHECK(r.expect_object());
  BearerToken t;
  t.token = BERTH_TRY(r.string("token"));
  if (t.token.empty()) t.token = BERTH_TRY(r.string("access_token"));
  if (t.token.empty()) return fail_msg("token response: no \"token\" nor \"access_token\"");
  if (auto e = BERTH_TRY(r.optional_int("expires_in")); e && *e > 60)
    t.expires_in = *e > 86400 * 365 ? 86400 * 365 : static_cast<int>(*e);
  return t;
}

}  // namespace berth::image
