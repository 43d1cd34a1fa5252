#pragma once

#include <string>

#include "image/http_client.hpp"

namespace berth::image {

// "404 (MANIFEST_UNKNOWN: manifest unknown)": the status and what the registry's error JSON says.
std::string describe_status(const HttpResponse& response);
// `GET https://host/v2/x/manifests/1: 404 (MANIFEST_UNKNOWN: manifest unknown)`.
Error response_error(const std::string& method, const std::string& url,
                     const HttpResponse& response);

}  // namespace berth::image
