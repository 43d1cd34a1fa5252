#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "base/error.hpp"
#include "image/auth_challenge.hpp"
#include "image/credentials.hpp"
#include "image/http_client.hpp"
#include "image/reference.hpp"
#include "image/registry_config.hpp"
#include "image/registry_endpoint.hpp"

namespace berth::image {

enum class RegistryAccess { pull, push };  // push includes pull

// One repository of one registry: the endpoint that answered GET /v2/, how it wants to be
// authenticated, and the bearer token, shared by the threads that send through it (each with its
// own HttpClient).
class RegistrySession {
 public:
  // Credentials come from the config's auth files.
  static Result<std::unique_ptr<RegistrySession>> open(const Reference& ref, RegistryAccess access,
                                                       const RegistryConfig& config);
  // With the given credentials (or none); path "" for no repository (login).
  static Result<std::unique_ptr<RegistrySession>> open(const std::string& domain,
                                                       const std::string& path,
                                                       RegistryAccess access,
                                                       const RegistryConfig& config,
                                                       std::optional<Credentials> credentials);

  const std::string& domain() const { return domain_; }
  const std::string& path() const { return path_; }
  std::string name() const { return domain_ + "/" + path_; }
  const std::string& base_url() const { return endpoint_.url; }
  std::string repository_url() const { return endpoint_.url + "/v2/" + path_; }
  // The client of the thread that opened the session; other threads make their own.
  HttpClient& client() { return client_; }
  HttpClient new_client() const { return HttpClient(endpoint_.tls); }

  // Asks for this access too in the next token ("repository:other:pull" for a cross-repository
  // mount).
  void add_scope(const std::string& scope);
  // Sends with the session's authorization (only to the registry's own origin); on 401 learns the
  // challenge, fetches a new token and retries once.
  Result<HttpResponse> send(HttpClient& client, const HttpRequest& request);
  // For login: a token for the account (bearer), or GET /v2/ with the credentials (basic).
  Status check_credentials(HttpClient& client);

 private:
  RegistrySession(std::string domain, std::string path, RegistryEndpoint endpoint,
                  std::optional<Credentials> credentials)
      : domain_(std::move(domain)),
        path_(std::move(path)),
        endpoint_(std::move(endpoint)),
        credentials_(std::move(credentials)),
        client_(endpoint_.tls) {}

  Result<std::string> authorization(HttpClient& client);
  Result<BearerToken> fetch_token(HttpClient& client, const std::set<std::string>& scopes);
  // Returns false when the response gives no reason to try again.
  bool learn(const HttpResponse& unauthorized, bool sent_authorization);

  std::string domain_;
  std::string path_;
  RegistryEndpoint endpoint_;
  std::optional<Credentials> credentials_;
  HttpClient client_;

  std::mutex mutex_;
  std::optional<AuthChallenge> challenge_;  // none: the registry asked for nothing
  std::set<std::string> scopes_;
  std::optional<BearerToken> token_;
  std::set<std::string> token_scopes_;
  std::chrono::steady_clock::time_point token_expiry_;
};

}  // namespace berth::image
