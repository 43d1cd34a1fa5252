#pragma once

#include <string>

#include "base/error.hpp"
#include "image/registry_config.hpp"

namespace berth::image {

// Checks the credentials against https?://server/v2/ (challenge, token) and on success writes them
// to config.auth_file (0600, created with its folder 0700, other entries kept). server "" or
// "docker.io" -> "https://index.docker.io/v1/" key as Docker writes it.
Status login(const std::string& server, const std::string& user, const std::string& password,
             const RegistryConfig& config);
// Removes the entry; an entry that is not there is an error "not logged in to SERVER".
Status logout(const std::string& server, const RegistryConfig& config);

}  // namespace berth::image
