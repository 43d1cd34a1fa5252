#pragma once

#include <optional>
#include <string>

#include "base/error.hpp"
#include "image/digest.hpp"
#include "image/http_client.hpp"
#include "image/registry_session.hpp"

namespace berth::image {

struct FetchedManifest {
  std::string bytes;
  std::string media_type;  // the response's Content-Type, without parameters
  Digest digest;           // of bytes
};

// GET /v2/NAME/manifests/REF with every manifest and index type accepted. The body is refused as
// soon as it passes kMaxManifestSize; its digest must be `expected` (by digest) and the
// Docker-Content-Digest header (when sent). Schema 1 is refused.
Result<FetchedManifest> fetch_manifest(RegistrySession& session, HttpClient& client,
                                       const std::string& reference,
                                       const std::optional<Digest>& expected);

// The Accept header of manifest requests.
std::string manifest_accept_header();

}  // namespace berth::image
