#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "image/http_client.hpp"
#include "image/registry_config.hpp"

namespace berth::image {

// Where a registry is reached: "https://host:port" (no trailing slash) and how TLS is checked.
struct RegistryEndpoint {
  std::string url;
  TlsSettings tls;
};

// config.insecure_registries names domain ("host:port" or "host"), or a CIDR holds one of its
// addresses; localhost, 127.0.0.0/8 and ::1 always are insecure.
bool is_insecure_registry(std::string_view domain, const RegistryConfig& config);

// CAs and a client certificate from the first of config.certs_dirs that has a folder for domain:
// *.crt are CAs; X.cert needs X.key.
Result<TlsSettings> registry_tls(std::string_view domain, const RegistryConfig& config,
                                 bool verify);

// The endpoints to try, in order: https (verified unless insecure), then plain http for an insecure
// registry. docker.io is served by registry-1.docker.io.
Result<std::vector<RegistryEndpoint>> registry_endpoints(std::string_view domain,
                                                         const RegistryConfig& config);

}  // namespace berth::image
