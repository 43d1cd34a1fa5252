#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace berth::image {

// One challenge of a WWW-Authenticate header: `Bearer realm="https://auth/token",service="reg"`.
struct AuthChallenge {
  std::string scheme;                         // lower case: "bearer", "basic"
  std::map<std::string, std::string> params;  // names in lower case; a token68 is under "token68"
  std::string param(const std::string& name) const;
};

// Every challenge of the header values (RFC 7235: several per value, comma-separated).
std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

struct BearerToken {
  std::string token;
  int expires_in = 60;  // seconds; never less than 60, as Docker assumes
};

// The JSON of a token server: "token" (or OAuth's "access_token"), "expires_in".
Result<BearerToken> parse_token_response(std::string_view body);

}  // namespace berth::image
