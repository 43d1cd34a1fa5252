#include "image/credentials.hpp"

#include <errno.h>
#include <sys/stat.h>

#include <cctype>

#include "base/fs.hpp"
#include "base/json_text.hpp"
#include "image/base64.hpp"

namespace berth::image {

namespace {

constexpr std::string_view kDockerHubKey = "https://index.docker.io/v1/";

// The file's JSON, or an empty object when it does not exist.
Result<nlohmann::json> load(const std::string& file) {
  auto text = fs::read_file(file);
  if (!text) {
    if (text.error().errno_value == ENOENT) return nlohmann::json::object();
    return fail(text.error());
  }
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  auto j = BERTH_TRY(parse_json_text(*text, quote(file)));
  if (!j.is_object()) return fail_msg(quote(file) + ": not a JSON object");
  if (j.contains("auths") && !j["auths"].is_object())
    return fail_msg(quote(file) + ": auths: not an object");
  return j;
}

Result<std::optional<Credentials>> entry_credentials(const std::string& file,
                                                     const std::string& key,
                                                     const nlohmann::json& entry) {
  const std::string what = quote(file) + ": auths." + key;
  if (!entry.is_object()) return fail_msg(what + ": not an object");
  if (entry.contains("auth") && entry["auth"].is_string() &&
      !entry["auth"].get<std::string>().empty()) {
    auto decoded = base64_decode(entry["auth"].get<std::string>());
    if (!decoded) return fail(decoded.error().wrap(what + ".auth"));
    auto colon = decoded->find(':');
    if (colon == std::string::npos)
      return fail_msg(what + ".auth: not base64 of \"user:password\"");
    return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
  }
  if (entry.contains("username") && entry["username"].is_string() && entry.contains("password") &&
      entry["password"].is_string())
    return Credentials{entry["username"].get<std::string>(), entry["password"].get<std::string>()};
  return std::optional<Credentials>();
}

Result<std::optional<Credentials>> find_in(const std::string& file, std::string_view domain) {
  auto j = BERTH_TRY(load(file));
  if (!j.contains("auths")) return std::optional<Credentials>();
  // The exact key first: "host:port" before "https://host:port/v1/".
  for (const auto& exact : {true, false}) {
    for (const auto& [key, entry] : j["auths"].items()) {
      if ((key == auth_key_for(domain)) != exact || registry_domain_of(key) != domain) continue;
      if (auto c = BERTH_TRY(entry_credentials(file, key, entry))) return c;
    }
  }
  return std::optional<Credentials>();
}

Status save(const std::string& file, const nlohmann::json& j) {
  auto dir = fs::dirname(file);
  if (!fs::exists(dir)) BERTH_CHECK(fs::mkdir_p(dir, 0700));
  BERTH_CHECK(fs::write_file_atomic(file, j.dump(1, '\t') + "\n", 0600));
  // The mode of a file that existed is not touched by write_file_atomic's create.
  if (::chmod(file.c_str(), 0600) < 0) return fail_sys("chmod " + quote(file));
  return {};
}

}  // namespace

std::string registry_domain_of(std::string_view server) {
  if (server.starts_with("https://"))
    server.remove_prefix(8);
  else if (server.starts_with("http://"))
    server.remove_prefix(7);
  server = server.substr(0, server.find('/'));
  std::string domain(server);
  for (auto& c : domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (domain.empty() || domain == "index.docker.io" || domain == "registry-1.docker.io")
    return "docker.io";
  return domain;
}

std::string auth_key_for(std::string_view domain) {
  if (domain == "docker.io") return std::string(kDockerHubKey);
  return std::string(domain);
}

Result<std::optional<Credentials>> find_credentials(std::string_view domain,
                                                    const RegistryConfig& config) {
  std::vector<std::string> files;
  if (!config.auth_file.empty()) files.push_back(config.auth_file);
  files.insert(files.end(), config.read_auth_files.begin(), config.read_auth_files.end());
  for (const auto& file : files)
    if (auto c = BERTH_TRY(find_in(file, domain))) return c;
  return std::optional<Credentials>();
}

Status store_credentials(const std::string& file, const std::string& key,
                         const Credentials& credentials) {
  auto j = BERTH_TRY(load(file));
  if (!j.contains("auths")) j["auths"] = nlohmann::json::object();
  auto& entry = j["auths"][key];
  if (!entry.is_object()) entry = nlohmann::json::object();
  entry["auth"] = base64_encode(credentials.username + ":" + credentials.password);
  entry.erase("username");
  entry.erase("password");
  return save(file, j);
}

Result<bool> remove_credentials(const std::string& file, std::string_view domain) {
  auto j = BERTH_TRY(load(file));
  if (!j.contains("auths")) return false;
  std::vector<std::string> keys;
  for (const auto& [key, entry] : j["auths"].items())
    if (registry_domain_of(key) == domain) keys.push_back(key);
  if (keys.empty()) return false;
  for (const auto& key : keys) j["auths"].erase(key);
  BERTH_CHECK(save(file, j));
  return true;
}

}  // namespace berth::image
