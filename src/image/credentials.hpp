#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "image/registry_config.hpp"

namespace berth::image {

struct Credentials {
  std::string username;
  std::string password;
};

// The registry domain ("host[:port]") that a login server or an auth file key names:
// "https://index.docker.io/v1/", "index.docker.io", "" -> "docker.io"; "https://h:5000/v2/" ->
// "h:5000".
std::string registry_domain_of(std::string_view server);
// The key Docker writes for a domain: docker.io -> "https://index.docker.io/v1/", else the domain.
std::string auth_key_for(std::string_view domain);

// The credentials for domain in config.auth_file, else in each of config.read_auth_files; missing
// files are skipped, unreadable or malformed ones are errors naming the file.
Result<std::optional<Credentials>> find_credentials(std::string_view domain,
                                                    const RegistryConfig& config);
// Sets auths[key] in file (0600; its folder created 0700), keeping everything else in it.
Status store_credentials(const std::string& file, const std::string& key,
                         const Credentials& credentials);
// Removes every entry of file that names domain; false when there was none.
Result<bool> remove_credentials(const std::string& file, std::string_view domain);

}  // namespace berth::image
