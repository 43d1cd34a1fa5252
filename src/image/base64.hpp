#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace berth::image {

// Standard base64 with padding (OpenSSL EVP), as config.json "auth" fields use it.
std::string base64_encode(std::string_view data);
Result<std::string> base64_decode(std::string_view text);

}  // namespace berth::image
