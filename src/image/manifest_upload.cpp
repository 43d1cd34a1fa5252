#include "image/manifest_upload.hpp"

#include "image/digest.hpp"
#include "image/registry_error.hpp"

namespace berth::image {

Status put_manifest(RegistrySession& session, HttpClient& client, const std::string& reference,
                    std::string_view bytes, const std::string& media_type) {
  const std::string url = session.repository_url() + "/manifests/" + reference;
  const Digest digest = sha256_of(bytes);
  const std::string what =
      "push manifest " + digest.str() + " to " + session.name() + ":" + reference;
  auto response = session.send(client, {.method = "PUT",
                                        .url = url,
                                        .headers = {"Content-Type: " + media_type},
                                        .body = std::string(bytes)});
  if (!response) return fail(response.error().wrap(what));
  if (response->status != 201 && response->status != 200 && response->status != 204)
    return fail(response_error("PUT", url, *response).wrap(what));
  if (auto header = response->header("docker-content-digest"); header && !header->empty()) {
    auto claimed = parse_digest(*header);
    if (claimed && *claimed != digest)
      return fail_msg(what + ": the registry stored it as " + claimed->str() +
                      " (did it rewrite the manifest?)");
  }
  return {};
}

}  // namespace berth::image
