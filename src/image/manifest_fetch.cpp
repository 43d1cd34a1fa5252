#include "image/manifest_fetch.hpp"

#include <nlohmann/json.hpp>

#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "image/registry_error.hpp"

namespace berth::image {

namespace {

std::string without_parameters(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  return std::string(content_type);
}

// Registries that send schema 1 with another Content-Type (application/json) still say so inside.
bool declares_schema1(std::string_view bytes) {
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  return j.is_object() && j.contains("schemaVersion") && j["schemaVersion"] == 1;
}

}  // namespace

std::string manifest_accept_header() {
  std::string accept = "Accept: ";
  bool first = true;
  for (auto type : {media_type::kOciIndex, media_type::kOciManifest,
                    media_type::kDockerManifestList, media_type::kDockerManifest,
                    media_type::kDockerSchema1Signed, media_type::kDockerSchema1}) {
    accept += (first ? "" : ", ") + std::string(type);
    first = false;
  }
  return accept;
}

Result<FetchedManifest> fetch_manifest(RegistrySession& session, HttpClient& client,
                                       const std::string& reference,
                                       const std::optional<Digest>& expected) {
  const std::string url = session.repository_url() + "/manifests/" + reference;
  const std::string what = "manifest " + session.name() + (expected ? "@" : ":") + reference;
  FetchedManifest m;
  HttpRequest request{.method = "GET", .url = url, .headers = {manifest_accept_header()}};
  request.on_body = [&m](std::string_view chunk) -> Status {
    if (m.bytes.size() + chunk.size() > kMaxManifestSize)
      return fail_msg("manifest is larger than the " + std::to_string(kMaxManifestSize) +
                      " bytes allowed");
    m.bytes.append(chunk);
    return {};
  };
  auto response = session.send(client, request);
  if (!response) return fail(response.error().wrap(what));
  if (response->status == 404)
    return fail_msg(what + ": not found (" + describe_status(*response) + ")");
  if (response->status != 200) return fail(response_error("GET", url, *response).wrap(what));

  m.media_type = without_parameters(response->header("content-type").value_or(""));
  if (media_type::is_schema1(m.media_type) || declares_schema1(m.bytes))
    return fail_msg(
        what +
        ": schema 1 manifests are not supported; push the image again with a current client");
  m.digest = sha256_of(m.bytes);
  if (expected && m.digest != *expected)
    return fail_msg(what + ": digest mismatch: got " + m.digest.str());
  if (auto header = response->header("docker-content-digest"); header && !header->empty()) {
    auto claimed = parse_digest(*header);
    if (claimed && *claimed != m.digest)
      return fail_msg(what + ": the registry says its digest is " + claimed->str() +
                      " but its content is " + m.digest.str());
  }
  return m;
}

}  // namespace berth::image
