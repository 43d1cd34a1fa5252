// The registry client's pieces that need no server: WWW-Authenticate and token responses, base64,
// the auth file, URLs, insecure registries, certs.d.

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "image/auth_challenge.hpp"
#include "image/base64.hpp"
#include "image/credentials.hpp"
#include "image/http_client.hpp"
#include "image/registry_endpoint.hpp"
#include "registry_fixture.hpp"

namespace {

using namespace berth::image;
namespace fs = berth::fs;
using registry_test::TempDir;

TEST(AuthChallenge, ParsesDockerHubsBearerChallenge) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].param("scope"), "repository:library/busybox:pull");
}

TEST(AuthChallenge, ParsesSeveralChallengesSpacesTokensAndEscapes) {
  auto c = parse_www_authenticate(
      R"(Basic realm="reg \"one\"", BEARER Realm = "https://a/t" , Service=svc,error="insufficient_scope", Negotiate abc==)");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "reg \"one\"");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].param("realm"), "https://a/t");
  EXPECT_EQ(c[1].param("service"), "svc");
  EXPECT_EQ(c[1].param("error"), "insufficient_scope");
  EXPECT_EQ(c[2].scheme, "negotiate");
  EXPECT_EQ(c[2].param("token68"), "abc==");
}

TEST(AuthChallenge, SurvivesGarbage) {
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_TRUE(parse_www_authenticate(" , ,").empty());
  auto c = parse_www_authenticate(R"(Bearer realm="unterminated)");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("realm"), "unterminated");
  auto d = parse_www_authenticate("Basic");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].scheme, "basic");
  EXPECT_TRUE(d[0].params.empty());
  auto e = parse_www_authenticate("=x, Basic realm=r");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].param("realm"), "r");
}

TEST(TokenResponse, ReadsTokenOrAccessTokenAndExpiry) {
  auto t = parse_token_response(
      R"({"token":"abc","expires_in":300,"issued_at":"2024-01-01T00:00:00Z"})");
  ASSERT_TRUE(t) << t.error().what();
  EXPECT_EQ(t->token, "abc");
  EXPECT_EQ(t->expires_in, 300);
  auto oauth = parse_token_response(R"({"access_token":"xyz"})");
  ASSERT_TRUE(oauth) << oauth.error().what();
  EXPECT_EQ(oauth->token, "xyz");
  EXPECT_EQ(oauth->expires_in, 60);
  EXPECT_EQ(parse_token_response(R"({"token":"a","expires_in":5})")->expires_in, 60);
  EXPECT_EQ(parse_token_response(R"({"token":"","access_token":"b"})")->token, "b");
}

TEST(TokenResponse, RefusesWhatHasNoToken) {
  auto none = parse_token_response(R"({"details":"denied"})");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().what().find("no \"token\""), std::string::npos) << none.error().what();
  EXPECT_FALSE(parse_token_response("not json"));
  EXPECT_FALSE(parse_token_response("[]"));
  EXPECT_FALSE(parse_token_response(R"({"token":5})"));
}

TEST(Base64, RoundTripsEveryPaddingLength) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", "alice:s3cret",
                                                       std::string("\0\xff\x10", 3)}) {
    auto decoded = base64_decode(base64_encode(s));
    ASSERT_TRUE(decoded) << s;
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(base64_encode("alice:s3cret"), "YWxpY2U6czNjcmV0");
  EXPECT_FALSE(base64_decode("abc"));
  EXPECT_FALSE(base64_decode("ab$="));
}

TEST(Credentials, DomainsOfServersAndKeys) {
  EXPECT_EQ(registry_domain_of(""), "docker.io");
  EXPECT_EQ(registry_domain_of("docker.io"), "docker.io");
  EXPECT_EQ(registry_domain_of("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(registry_domain_of("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(registry_domain_of("https://Reg.Example.com:5000/v2/"), "reg.example.com:5000");
  EXPECT_EQ(registry_domain_of("http://127.0.0.1:5000"), "127.0.0.1:5000");
  EXPECT_EQ(auth_key_for("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(auth_key_for("127.0.0.1:5000"), "127.0.0.1:5000");
}

TEST(Credentials, StoresKeepingOtherEntriesAndFindsInEveryFile) {
  TempDir dir;
  const std::string file = dir / "conf/sub/config.json";
  ASSERT_TRUE(fs::mkdir_p(dir / "conf/sub", 0755));
  ASSERT_TRUE(fs::write_file_atomic(
      file, R"({"auths":{"https://index.docker.io/v1/":{"auth":"aHViOmh1Yg=="}},"credsStore":"x"})",
      0644));
  ASSERT_TRUE(store_credentials(file, "reg.example:5000", {"u", "p:w"}));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto j = nlohmann::json::parse(fs::read_file(file).value());
  EXPECT_EQ(j["credsStore"], "x");
  EXPECT_EQ(j["auths"]["reg.example:5000"]["auth"], base64_encode("u:p:w"));

  RegistryConfig config;
  config.auth_file = dir / "missing.json";
  config.read_auth_files = {file};
  auto hub = find_credentials("docker.io", config);
  ASSERT_TRUE(hub) << hub.error().what();
  ASSERT_TRUE(*hub);
  EXPECT_EQ((*hub)->username, "hub");
  auto reg = find_credentials("reg.example:5000", config).value();
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->password, "p:w");
  EXPECT_FALSE(find_credentials("other:1", config).value());

  // Keys written with a scheme still name their registry; username/password entries work too.
  ASSERT_TRUE(fs::write_file_atomic(
      config.auth_file, R"({"auths":{"https://other:1":{"username":"o","password":"q"}}})", 0600));
  EXPECT_EQ(find_credentials("other:1", config).value()->username, "o");

  EXPECT_TRUE(remove_credentials(file, "reg.example:5000").value());
  EXPECT_FALSE(remove_credentials(file, "reg.example:5000").value());
  EXPECT_FALSE(find_credentials("reg.example:5000", config).value());
  EXPECT_TRUE(find_credentials("docker.io", config).value());
}

TEST(Credentials, ABrokenFileIsNamed) {
  TempDir dir;
  RegistryConfig config;
  config.auth_file = dir / "config.json";
  ASSERT_TRUE(fs::write_file_atomic(config.auth_file, R"({"auths":{"h:1":{"auth":"###"}}})", 0600));
  auto r = find_credentials("h:1", config);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find(config.auth_file), std::string::npos) << r.error().what();
  ASSERT_TRUE(fs::write_file_atomic(config.auth_file, "{not json", 0600));
  r = find_credentials("h:1", config);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find(config.auth_file), std::string::npos) << r.error().what();
}

TEST(Urls, ResolvesLocationsAndEscapes) {
  const std::string base = "https://reg:5000/v2/x/blobs/uploads/?a=1";
  EXPECT_EQ(resolve_url(base, "/v2/x/blobs/uploads/u1?_state=s"),
            "https://reg:5000/v2/x/blobs/uploads/u1?_state=s");
  EXPECT_EQ(resolve_url(base, "https://other/up?x"), "https://other/up?x");
  EXPECT_EQ(resolve_url(base, "//cdn/up"), "https://cdn/up");
  EXPECT_EQ(resolve_url(base, "u2"), "https://reg:5000/v2/x/blobs/uploads/u2");
  EXPECT_EQ(url_origin("http://127.0.0.1:5000/v2/?x"), "http://127.0.0.1:5000");
  EXPECT_EQ(url_escape("sha256:ab/c d"), "sha256%3Aab%2Fc%20d");
}

TEST(InsecureRegistries, LoopbackAlwaysAndConfiguredOnes) {
  RegistryConfig config;
  EXPECT_TRUE(is_insecure_registry("localhost:5000", config));
  EXPECT_TRUE(is_insecure_registry("127.0.0.1:5000", config));
  EXPECT_TRUE(is_insecure_registry("127.3.4.5", config));
  EXPECT_TRUE(is_insecure_registry("[::1]:5000", config));
  EXPECT_FALSE(is_insecure_registry("10.1.2.3:5000", config));
  EXPECT_FALSE(is_insecure_registry("docker.io", config));
  config.insecure_registries = {"10.0.0.0/8", "reg.internal:5000", "plain.internal", "fd00::/8"};
  EXPECT_TRUE(is_insecure_registry("10.1.2.3:5000", config));
  EXPECT_FALSE(is_insecure_registry("11.1.2.3:5000", config));
  EXPECT_TRUE(is_insecure_registry("reg.internal:5000", config));
  EXPECT_TRUE(is_insecure_registry("plain.internal:443", config));
  EXPECT_TRUE(is_insecure_registry("[fd12::1]:5000", config));

  auto endpoints = registry_endpoints("127.0.0.1:5000", config).value();
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_EQ(endpoints[0].url, "https://127.0.0.1:5000");
  EXPECT_FALSE(endpoints[0].tls.verify);
  EXPECT_EQ(endpoints[1].url, "http://127.0.0.1:5000");
  auto hub = registry_endpoints("docker.io", config).value();
  ASSERT_EQ(hub.size(), 1u);
  EXPECT_EQ(hub[0].url, "https://registry-1.docker.io");
  EXPECT_TRUE(hub[0].tls.verify);
}

TEST(CertsDir, CasClientCertificatesAndTheirKeys) {
  TempDir dir;
  RegistryConfig config;
  config.certs_dirs = {dir / "first", dir / "second"};
  ASSERT_TRUE(fs::mkdir_p(dir / "second/reg:5000", 0755));
  ASSERT_TRUE(fs::write_file_atomic(dir / "second/reg:5000/a.crt", "CA-A", 0644));
  ASSERT_TRUE(fs::write_file_atomic(dir / "second/reg:5000/b.crt", "CA-B", 0644));
  ASSERT_TRUE(fs::write_file_atomic(dir / "second/reg:5000/client.cert", "C", 0644));
  ASSERT_TRUE(fs::write_file_atomic(dir / "second/reg:5000/client.key", "K", 0600));
  auto tls = registry_tls("reg:5000", config, true);
  ASSERT_TRUE(tls) << tls.error().what();
  EXPECT_TRUE(tls->verify);
  EXPECT_EQ(tls->extra_ca_pem, "CA-A\nCA-B\n");
  EXPECT_EQ(tls->client_cert, dir / "second/reg:5000/client.cert");
  EXPECT_EQ(tls->client_key, dir / "second/reg:5000/client.key");

  ASSERT_TRUE(fs::write_file_atomic(dir / "second/reg:5000/lonely.cert", "C", 0644));
  auto missing_key = registry_tls("reg:5000", config, true);
  ASSERT_FALSE(missing_key);
  EXPECT_NE(missing_key.error().what().find("lonely.key"), std::string::npos)
      << missing_key.error().what();

  // The first folder that has the registry wins.
  ASSERT_TRUE(fs::mkdir_p(dir / "first/reg:5000", 0755));
  EXPECT_EQ(registry_tls("reg:5000", config, true)->extra_ca_pem, "");
  EXPECT_EQ(registry_tls("../x", config, true)->extra_ca_pem, "");
}

}  // namespace
