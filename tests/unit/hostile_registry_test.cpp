// pull_image against a registry that misbehaves on purpose (test_http_server.hpp), and the bearer
// token flow, which no registry in Debian offers.

#include <gtest/gtest.h>

#include <optional>

#include "image/base64.hpp"
#include "image/content_store.hpp"
#include "image/pull.hpp"
#include "registry_fixture.hpp"
#include "test_http_server.hpp"

namespace {

using namespace registry_test;
using berth::image::ContentStore;
using berth::image::parse_reference;
using berth::image::Platform;
using berth::image::RegistryConfig;

Platform amd64() {
  Platform p;
  p.os = "linux";
  p.architecture = "amd64";
  return p;
}

class HostileRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ContentStore::open(dir_ / "store");
    ASSERT_TRUE(s) << s.error().what();
    store_.emplace(std::move(*s));
    config_.certs_dirs = {};
    config_.auth_file = dir_ / "auth.json";
    config_.retries = 1;
  }

  // Serves img under /v2/test/ (manifests by tag "1" and by digest, blobs), through `tweak` first.
  TestHttpServer::Handler registry_of(
      const Image& img, std::function<std::optional<Reply>(const ServedRequest&)> tweak = {}) {
    return [&img, tweak](const ServedRequest& r) -> Reply {
      if (tweak)
        if (auto reply = tweak(r)) return *reply;
      if (r.target == "/v2/") return {.status = 200};
      if (r.target == "/v2/test/manifests/1" ||
          r.target == "/v2/test/manifests/" + img.manifest.digest.str())
        return {.headers = {{"Content-Type", img.manifest.media_type}}, .body = img.manifest.bytes};
      for (const Blob* b : blobs_of(img))
        if (r.target == "/v2/test/blobs/" + b->digest.str()) return {.body = b->bytes};
      return {.status = 404,
              .body = R"({"errors":[{"code":"NOT_FOUND","message":"nothing here"}]})"};
    };
  }

  berth::Result<berth::image::PullResult> pull(const TestHttpServer& server) {
    return pull_image(*store_, parse_reference(server.host() + "/test:1").value(), amd64(), config_,
                      nullptr);
  }

  Image image() {
    return make_image({make_layer({{"a", "a\n"}}), make_layer({{"b", noise(300 * 1024, 5)}})},
                      "amd64");
  }

  TempDir dir_;
  std::optional<ContentStore> store_;
  RegistryConfig config_;
};

TEST_F(HostileRegistryTest, AnEndlessManifestIsCutAtTheLimit) {
  Image img = image();
  const std::string endless = "{\"schemaVersion\":2,\"x\":\"" + std::string(16 << 20, 'x');
  TestHttpServer server(registry_of(img, [&](const ServedRequest& r) -> std::optional<Reply> {
    if (r.target == "/v2/test/manifests/1") return Reply{.body = endless, .no_length = true};
    return std::nullopt;
  }));
  auto pulled = pull(server);
  ASSERT_FALSE(pulled);
  EXPECT_NE(pulled.error().what().find("larger than the 4194304 bytes allowed"), std::string::npos)
      << pulled.error().what();
  EXPECT_TRUE(store_->list().value().empty());
}

TEST_F(HostileRegistryTest, SchemaOneIsRefusedWhateverItsContentType) {
  Image img = image();
  const std::string schema1 = R"({"schemaVersion":1,"name":"test","tag":"1","fsLayers":[]})";
  for (const std::string& type : std::vector<std::string>{
           "application/vnd.docker.distribution.manifest.v1+prettyjws", "application/json"}) {
    TestHttpServer server(registry_of(img, [&](const ServedRequest& r) -> std::optional<Reply> {
      if (r.target == "/v2/test/manifests/1")
        return Reply{.headers = {{"Content-Type", type}}, .body = schema1};
      return std::nullopt;
    }));
    auto pulled = pull(server);
    ASSERT_FALSE(pulled) << type;
    EXPECT_NE(
        pulled.error().what().find("schema 1 manifests are not supported; push the image again "
                                   "with a current client"),
        std::string::npos)
        << pulled.error().what();
  }
}

TEST_F(HostileRegistryTest, ADockerContentDigestThatLiesIsRefused) {
  Image img = image();
  const std::string other = "sha256:" + std::string(64, '0');
  TestHttpServer server(registry_of(img, [&](const ServedRequest& r) -> std::optional<Reply> {
    if (r.target == "/v2/test/manifests/1")
      return Reply{
          .headers = {{"Content-Type", img.manifest.media_type}, {"Docker-Content-Digest", other}},
          .body = img.manifest.bytes};
    return std::nullopt;
  }));
  auto pulled = pull(server);
  ASSERT_FALSE(pulled);
  EXPECT_NE(pulled.error().what().find(other), std::string::npos) << pulled.error().what();
  EXPECT_NE(pulled.error().what().find(img.manifest.digest.str()), std::string::npos)
      << pulled.error().what();
}

TEST_F(HostileRegistryTest, AnUnknownLayerTypeIsRefusedByName) {
  Image img = image();
  auto j = nlohmann::json::parse(img.manifest.bytes);
  j["layers"][0]["mediaType"] = "application/x-surprise";
  img.manifest = blob(img.manifest.media_type, j.dump());
  TestHttpServer server(registry_of(img));
  auto pulled = pull(server);
  ASSERT_FALSE(pulled);
  EXPECT_NE(pulled.error().what().find("application/x-surprise"), std::string::npos)
      << pulled.error().what();
}

TEST_F(HostileRegistryTest, BearerTokenRedirectedBlobsAndAnIgnoredRange) {
  Image img = image();
  const Blob& big = img.layers[1];
  std::string realm;
  auto serve = registry_of(img);
  TestHttpServer server([&](const ServedRequest& r) -> Reply {
    const std::string challenge = "Bearer realm=\"" + realm + "\",service=\"hostile\"";
    if (r.target.starts_with("/token?")) {
      if (r.header("authorization") != "Basic " + std::string("Ym9iOnB3"))  // bob:pw
        return {.status = 401};
      return {.body = R"({"token":"tok-1","expires_in":300})"};
    }
    if (r.target.starts_with("/storage/")) {
      // Where blobs are redirected; ignores Range like some storage backends do.
      return serve(ServedRequest{r.method, "/v2/test/blobs/" + r.target.substr(9), r.headers});
    }
    if (r.header("authorization") != "Bearer tok-1")
      return {
          .status = 401,
          .headers = {{"WWW-Authenticate", challenge + ",scope=\"repository:test:pull\""}},
          .body = R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})"};
    if (r.target.starts_with("/v2/test/blobs/"))
      return {.status = 307, .headers = {{"Location", "/storage/" + r.target.substr(15)}}};
    return serve(r);
  });
  realm = server.url() + "/token";
  ASSERT_TRUE(berth::image::base64_encode("bob:pw") == "Ym9iOnB3");
  ASSERT_TRUE(fs::write_file_atomic(
      config_.auth_file, R"({"auths":{")" + server.host() + R"(":{"auth":"Ym9iOnB3"}}})", 0600));

  {
    auto w = store_->writer(big.digest, big.bytes.size());
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->write(std::string_view(big.bytes).substr(0, 1000)));
  }
  auto pulled = pull(server);
  ASSERT_TRUE(pulled) << pulled.error().what();
  for (const Blob* b : blobs_of(img)) EXPECT_EQ(store_->read(b->digest, 1 << 20).value(), b->bytes);

  bool asked_token = false, ranged = false;
  for (const auto& r : server.requests()) {
    if (r.target.starts_with("/token?")) {
      asked_token = true;
      EXPECT_NE(r.target.find("service=hostile"), std::string::npos) << r.target;
      EXPECT_NE(r.target.find("scope=repository%3Atest%3Apull"), std::string::npos) << r.target;
      EXPECT_NE(r.target.find("account=bob"), std::string::npos) << r.target;
    }
    if (r.target == "/storage/" + big.digest.str() && r.header("range") == "bytes=1000-")
      ranged = true;
  }
  EXPECT_TRUE(asked_token);
  EXPECT_TRUE(ranged);

  // Wrong credentials: the token server's refusal is what the error says.
  ASSERT_TRUE(fs::write_file_atomic(
      config_.auth_file, R"({"auths":{")" + server.host() + R"(":{"auth":"Ym9iOng="}}})", 0600));
  auto other = ContentStore::open(dir_ / "store2");
  ASSERT_TRUE(other);
  auto refused = pull_image(*other, parse_reference(server.host() + "/test:1").value(), amd64(),
                            config_, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().what().find("wrong user name or password"), std::string::npos)
      << refused.error().what();
}

}  // namespace

namespace {

TEST_F(HostileRegistryTest, AnUnreachableRegistryNamesEveryEndpointTried) {
  const std::string host = "127.0.0.1:" + std::to_string(free_port());
  auto pulled =
      pull_image(*store_, parse_reference(host + "/test:1").value(), amd64(), config_, nullptr);
  ASSERT_FALSE(pulled);
  const std::string e = pulled.error().what();
  EXPECT_EQ(
      e.find("pull " + host + "/test:1: registry " + host + ": GET https://" + host + "/v2/: "), 0u)
      << e;
  EXPECT_NE(e.find("GET http://" + host + "/v2/: "), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

}  // namespace
