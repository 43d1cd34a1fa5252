#include "image/registry_session.hpp"

#include "image/base64.hpp"
#include "image/registry_error.hpp"

namespace berth::image {

namespace {

// A bearer challenge when there is one (registries may offer both), else basic.
std::optional<AuthChallenge> pick_challenge(const HttpResponse& response) {
  std::optional<AuthChallenge> basic;
  for (const auto& value : response.headers_named("www-authenticate")) {
    for (auto& c : parse_www_authenticate(value)) {
      if (c.scheme == "bearer" && !c.param("realm").empty()) return c;
      if (c.scheme == "basic" && !basic) basic = c;
    }
  }
  return basic;
}

std::string basic_header(const Credentials& c) {
  return "Authorization: Basic " + base64_encode(c.username + ":" + c.password);
}

std::string repository_scope(const std::string& path, RegistryAccess access) {
  return "repository:" + path + (access == RegistryAccess::push ? ":pull,push" : ":pull");
}

}  // namespace

Result<std::unique_ptr<RegistrySession>> RegistrySession::open(const Reference& ref,
                                                               RegistryAccess access,
                                                               const RegistryConfig& config) {
  auto credentials = BERTH_TRY(find_credentials(ref.domain, config));
  return open(ref.domain, ref.path, access, config, std::move(credentials));
}

Result<std::unique_ptr<RegistrySession>> RegistrySession::open(
    const std::string& domain, const std::string& path, RegistryAccess access,
    const RegistryConfig& config, std::optional<Credentials> credentials) {
  auto endpoints = BERTH_TRY(registry_endpoints(domain, config));
  std::string failures;
  for (auto& endpoint : endpoints) {
    HttpClient client(endpoint.tls);
    const std::string url = endpoint.url + "/v2/";
    auto response = client.send({.method = "GET", .url = url, .max_body = 64 * 1024});
    if (!response) {
      failures += (failures.empty() ? "" : "; ") + response.error().what();
      continue;
    }
    if (response->status != 200 && response->status != 401)
      return fail_msg("registry " + domain + ": " + response_error("GET", url, *response).what() +
                      " (not a registry v2 endpoint?)");
    std::unique_ptr<RegistrySession> session(
        new RegistrySession(domain, path, std::move(endpoint), std::move(credentials)));
    if (response->status == 401) session->challenge_ = pick_challenge(*response);
    if (!path.empty()) session->scopes_.insert(repository_scope(path, access));
    return session;
  }
  return fail_msg("registry " + domain + ": " + failures);
}

void RegistrySession::add_scope(const std::string& scope) {
  std::lock_guard lock(mutex_);
  scopes_.insert(scope);
}

Result<BearerToken> RegistrySession::fetch_token(HttpClient& client,
                                                 const std::set<std::string>& scopes) {
  const AuthChallenge& c = *challenge_;
  std::string url = c.param("realm");
  if (!url.starts_with("https://") && !url.starts_with("http://"))
    return fail_msg("registry " + domain_ + ": token realm " + quote(url) +
                    " is not an http(s) URL");
  std::string query;
  auto add = [&query](const std::string& key, const std::string& value) {
    query += (query.empty() ? "" : "&") + key + "=" + url_escape(value);
  };
  if (!c.param("service").empty()) add("service", c.param("service"));
  for (const auto& scope : scopes) add("scope", scope);
  HttpRequest request{.method = "GET", .max_body = 1 << 20};
  if (credentials_) {
    add("account", credentials_->username);
    request.headers.push_back(basic_header(*credentials_));
  }
  request.url =
      url + (query.empty() ? "" : (url.find('?') == std::string::npos ? "?" : "&") + query);
  auto response = BERTH_TRY(client.send(request));
  const std::string what = "get a token from " + url;
  if (response.status == 401 || response.status == 403)
    return fail_msg(what + ": " + describe_status(response) +
                    (credentials_ ? ": wrong user name or password" : ": authentication required"));
  if (response.status != 200) return fail_msg(what + ": " + describe_status(response));
  auto token = parse_token_response(response.body);
  if (!token) return fail(token.error().wrap(what));
  return token;
}

Result<std::string> RegistrySession::authorization(HttpClient& client) {
  std::lock_guard lock(mutex_);
  if (!challenge_) return std::string();
  if (challenge_->scheme == "basic")
    return credentials_ ? basic_header(*credentials_) : std::string();
  auto now = std::chrono::steady_clock::now();
  if (!token_ || token_scopes_ != scopes_ || now >= token_expiry_) {
    token_ = BERTH_TRY(fetch_token(client, scopes_));
    token_scopes_ = scopes_;
    // Renewed a little before the server's deadline.
    token_expiry_ = now + std::chrono::seconds(token_->expires_in - 10);
  }
  return "Authorization: Bearer " + token_->token;
}

bool RegistrySession::learn(const HttpResponse& unauthorized, bool sent_authorization) {
  auto challenge = pick_challenge(unauthorized);
  if (!challenge) return false;
  std::lock_guard lock(mutex_);
  if (challenge->scheme == "basic") {
    bool changed = !challenge_ || challenge_->scheme != "basic";
    challenge_ = std::move(challenge);
    return changed && credentials_ && !sent_authorization;
  }
  // The challenge may name the scope that the request needs (error="insufficient_scope").
  std::string scope = challenge->param("scope");
  for (size_t start = 0; start < scope.size();) {
    size_t end = scope.find(' ', start);
    if (end == std::string::npos) end = scope.size();
    if (end > start) scopes_.insert(scope.substr(start, end - start));
    start = end + 1;
  }
  challenge_ = std::move(challenge);
  token_.reset();
  return true;
}

Result<HttpResponse> RegistrySession::send(HttpClient& client, const HttpRequest& request) {
  const bool own_origin = url_origin(request.url) == endpoint_.url;
  for (int attempt = 0;; ++attempt) {
    HttpRequest r = request;
    std::string auth = own_origin ? BERTH_TRY(authorization(client)) : std::string();
    if (!auth.empty()) r.headers.push_back(auth);
    auto response = BERTH_TRY(client.send(r));
    if (response.status != 401 || attempt > 0 || !own_origin) return response;
    if (!learn(response, !auth.empty())) return response;
  }
}

Status RegistrySession::check_credentials(HttpClient& client) {
  std::optional<AuthChallenge> challenge;
  {
    std::lock_guard lock(mutex_);
    challenge = challenge_;
  }
  if (!challenge) return {};
  if (challenge->scheme == "bearer") {
    BERTH_TRY(fetch_token(client, {}));
    return {};
  }
  const std::string url = endpoint_.url + "/v2/";
  HttpRequest request{.method = "GET", .url = url, .max_body = 64 * 1024};
  if (credentials_) request.headers.push_back(basic_header(*credentials_));
  auto response = BERTH_TRY(client.send(request));
  if (response.status == 401)
    return fail_msg("GET " + url + ": " + describe_status(response) +
                    (credentials_ ? ": wrong user name or password" : ": authentication required"));
  if (response.status != 200) return fail(response_error("GET", url, response));
  return {};
}

}  // namespace berth::image
