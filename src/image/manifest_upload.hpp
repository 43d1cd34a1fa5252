#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "image/http_client.hpp"
#include "image/registry_session.hpp"

namespace berth::image {

// PUT /v2/NAME/manifests/REFERENCE (a tag or a digest) with Content-Type media_type. The digest the
// registry reports (Docker-Content-Digest) must be that of bytes.
Status put_manifest(RegistrySession& session, HttpClient& client, const std::string& reference,
                    std::string_view bytes, const std::string& media_type);

}  // namespace berth::image
