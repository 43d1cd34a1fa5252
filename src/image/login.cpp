#include "image/login.hpp"

#include "image/credentials.hpp"
#include "image/registry_session.hpp"

namespace berth::image {

Status login(const std::string& server, const std::string& user, const std::string& password,
             const RegistryConfig& config) {
  const std::string domain = registry_domain_of(server);
  const std::string what = "login to " + domain;
  if (config.auth_file.empty())
    return fail_msg(what + ": no auth file to write the credentials to");
  if (user.empty()) return fail_msg(what + ": empty user name");
  if (user.find(':') != std::string::npos)
    return fail_msg(what + ": a user name cannot contain ':'");
  Credentials credentials{user, password};
  auto session = RegistrySession::open(domain, "", RegistryAccess::pull, config, credentials);
  if (!session) return fail(session.error().wrap(what));
  if (auto s = (*session)->check_credentials((*session)->client()); !s)
    return fail(s.error().wrap(what));
  if (auto s = store_credentials(config.auth_file, auth_key_for(domain), credentials); !s)
    return fail(s.error().wrap(what));
  return {};
}

Status logout(const std::string& server, const RegistryConfig& config) {
  const std::string domain = registry_domain_of(server);
  const std::string shown = server.empty() ? auth_key_for(domain) : server;
  if (config.auth_file.empty()) return fail_msg("not logged in to " + shown);
  auto removed = remove_credentials(config.auth_file, domain);
  if (!removed) return fail(removed.error().wrap("logout from " + shown));
  if (!*removed) return fail_msg("not logged in to " + shown);
  return {};
}

}  // namespace berth::image
