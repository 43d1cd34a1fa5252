// pull_image, push_image, login and logout against a real docker-registry on 127.0.0.1.

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <optional>

#include "image/content_store.hpp"
#include "image/login.hpp"
#include "image/pull.hpp"
#include "image/push.hpp"
#include "image/registry_endpoint.hpp"
#include "registry_fixture.hpp"

namespace {

using namespace registry_test;
using berth::image::ContentStore;
using berth::image::parse_reference;
using berth::image::Platform;
using berth::image::Reference;
using berth::image::RegistryConfig;

Platform linux_on(const std::string& arch, const std::string& variant = "") {
  Platform p;
  p.os = "linux";
  p.architecture = arch;
  p.variant = variant;
  return p;
}

const Platform kAmd64 = linux_on("amd64");
const Platform kArm64 = linux_on("arm64", "v8");

std::string short_id(const Blob& b) {
  return b.digest.hex.substr(0, 12);
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  return st.st_mode & 07777;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!executable(RegistryServer::kBinary))
      GTEST_SKIP() << RegistryServer::kBinary << " is not installed";
    if (!executable("/usr/bin/skopeo")) GTEST_SKIP() << "skopeo is not installed";
    auto s = ContentStore::open(dir_ / "store");
    ASSERT_TRUE(s) << s.error().what();
    store_.emplace(std::move(*s));
    config_.certs_dirs = {dir_ / "certs.d"};
    config_.auth_file = dir_ / "auth/config.json";
  }

  void start(const RegistryOptions& options = {}) {
    (void)fs::mkdir_p(dir_ / "registry", 0755);
    std::string error = registry_.start(dir_ / "registry", options);
    ASSERT_EQ(error, "");
  }

  Reference ref(const std::string& repo_and_tag) {
    auto r = parse_reference(registry_.host() + "/" + repo_and_tag);
    EXPECT_TRUE(r) << r.error().what();
    return *r;
  }

  // skopeo copies an OCI layout into the registry, keeping the bytes (so the digests) as they are.
  void skopeo_push(const std::string& layout, const std::string& tag, const std::string& dest,
                   const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {"skopeo",
                                     "copy",
                                     "--insecure-policy",
                                     "--all",
                                     "--preserve-digests",
                                     "-q",
                                     "--dest-tls-verify=false"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("oci:" + layout + ":" + tag);
    argv.push_back("docker://" + registry_.host() + "/" + dest);
    auto r = run(argv);
    ASSERT_EQ(r.status, 0) << r.output;
  }

  std::string skopeo_raw(const std::string& image, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {"skopeo", "inspect", "--raw", "--tls-verify=false"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("docker://" + registry_.host() + "/" + image);
    auto r = run(argv);
    EXPECT_EQ(r.status, 0) << r.output;
    return r.output;
  }

  Image single_image() {
    Layer small =
        make_layer({{"etc/hello.txt", "hello\n"}, {"bin/tool", "#!/bin/sh\necho tool\n"}});
    Layer big = make_layer({{"data/noise.bin", noise(1536 * 1024, 7)}, {"data/readme", "noise\n"}});
    Image img = make_image({small, big}, "amd64");
    write_layout(dir_ / "layout", "1", img.manifest, blobs_of(img));
    return img;
  }

  TempDir dir_;
  RegistryServer registry_;
  std::optional<ContentStore> store_;
  RegistryConfig config_;
};

TEST_F(RegistryTest, PullsWhatSkopeoPushedThenFindsItUpToDate) {
  start();
  Image img = single_image();
  skopeo_push(dir_ / "layout", "1", "test:1");

  RecordingProgress progress;
  config_.max_concurrent_downloads = 2;
  auto pulled = pull_image(*store_, ref("test:1"), kAmd64, config_, &progress);
  ASSERT_TRUE(pulled) << pulled.error().what();
  EXPECT_EQ(pulled->manifest_digest, img.manifest.digest);
  EXPECT_EQ(pulled->manifest_media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_FALSE(pulled->index_digest);
  EXPECT_EQ(pulled->config_digest, img.config.digest);
  EXPECT_TRUE(pulled->downloaded_anything);
  EXPECT_EQ(pulled->reference.str(), registry_.host() + "/test:1");
  for (const Blob* b : blobs_of(img)) {
    EXPECT_TRUE(store_->has(b->digest)) << b->digest.str();
    EXPECT_EQ(store_->read(b->digest, 1 << 22).value(), b->bytes);
  }
  const std::string big = short_id(img.layers[1]);
  EXPECT_TRUE(progress.has("1: Pulling from test")) << progress.all();
  EXPECT_TRUE(progress.has(big + ": Pulling fs layer")) << progress.all();
  EXPECT_TRUE(progress.has(big + ": Verifying Checksum")) << progress.all();
  EXPECT_TRUE(progress.has(big + ": Download complete")) << progress.all();
  auto [done, total] = progress.last_bytes(big, "Downloading");
  EXPECT_EQ(total, img.layers[1].bytes.size());
  EXPECT_EQ(done, total);
  EXPECT_TRUE(store_->list().value().size() == 4);
  EXPECT_TRUE(store_->check().value().empty());

  RecordingProgress again;
  auto second = pull_image(*store_, ref("test:1"), kAmd64, config_, &again);
  ASSERT_TRUE(second) << second.error().what();
  EXPECT_FALSE(second->downloaded_anything);
  EXPECT_EQ(second->manifest_digest, img.manifest.digest);
  EXPECT_TRUE(again.has(big + ": Already exists")) << again.all();
  EXPECT_FALSE(again.has(big + ": Pulling fs layer")) << again.all();

  // By digest, the manifest comes from the store: nothing at all is fetched.
  auto by_digest =
      pull_image(*store_, ref("test@" + img.manifest.digest.str()), kAmd64, config_, nullptr);
  ASSERT_TRUE(by_digest) << by_digest.error().what();
  EXPECT_FALSE(by_digest->downloaded_anything);
  EXPECT_EQ(by_digest->reference.tag, "");
}

TEST_F(RegistryTest, PushesToAnotherNameWithTheSameDigestMountingLayers) {
  start();
  Image img = single_image();
  skopeo_push(dir_ / "layout", "1", "test:1");
  ASSERT_TRUE(pull_image(*store_, ref("test:1"), kAmd64, config_, nullptr));

  RecordingProgress progress;
  auto pushed = push_image(*store_, img.manifest.digest, ref("copy:2"), config_, &progress);
  ASSERT_TRUE(pushed) << pushed.error().what();
  EXPECT_EQ(*pushed, img.manifest.digest);
  EXPECT_EQ(sha256_of(skopeo_raw("copy:2")), img.manifest.digest);
  for (const auto& l : img.layers) {
    EXPECT_TRUE(progress.has(short_id(l) + ": Preparing")) << progress.all();
    EXPECT_TRUE(progress.has(short_id(l) + ": Mounted from test")) << progress.all();
  }
  EXPECT_TRUE(progress.has("The push refers to repository [" + registry_.host() + "/copy]"))
      << progress.all();
  EXPECT_TRUE(progress.has("2: digest: " + img.manifest.digest.str() +
                           " size: " + std::to_string(img.manifest.bytes.size())))
      << progress.all();

  RecordingProgress again;
  ASSERT_TRUE(push_image(*store_, img.manifest.digest, ref("copy:3"), config_, &again));
  for (const auto& l : img.layers)
    EXPECT_TRUE(again.has(short_id(l) + ": Layer already exists")) << again.all();
  EXPECT_EQ(sha256_of(skopeo_raw("copy:3")), img.manifest.digest);
}

TEST_F(RegistryTest, PushesBlobsTheRegistryHasNeverSeen) {
  start();
  // Straight into the store, as an import would: no record of where the blobs came from.
  Image img =
      make_image({make_layer({{"a", "a\n"}}), make_layer({{"b", noise(700 * 1024, 3)}})}, "amd64");
  for (const Blob* b : blobs_of(img)) ASSERT_TRUE(store_->put(b->bytes));

  RecordingProgress progress;
  config_.max_concurrent_uploads = 1;
  auto pushed = push_image(*store_, img.manifest.digest, ref("fresh/one:v1"), config_, &progress);
  ASSERT_TRUE(pushed) << pushed.error().what();
  for (const auto& l : img.layers)
    EXPECT_TRUE(progress.has(short_id(l) + ": Pushed")) << progress.all();
  EXPECT_TRUE(progress.has(short_id(img.layers[1]) + ": Waiting")) << progress.all();
  auto [done, total] = progress.last_bytes(short_id(img.layers[1]), "Pushing");
  EXPECT_EQ(total, img.layers[1].bytes.size());
  EXPECT_EQ(done, total);
  EXPECT_EQ(sha256_of(skopeo_raw("fresh/one:v1")), img.manifest.digest);

  // Pushed by digest, no tag.
  auto by_digest = push_image(*store_, img.manifest.digest,
                              ref("fresh/two@" + img.manifest.digest.str()), config_, nullptr);
  ASSERT_TRUE(by_digest) << by_digest.error().what();
  EXPECT_EQ(sha256_of(skopeo_raw("fresh/two@" + img.manifest.digest.str())), img.manifest.digest);

  // And it pulls back into an empty store.
  auto other = ContentStore::open(dir_ / "store2");
  ASSERT_TRUE(other);
  auto pulled = pull_image(*other, ref("fresh/one:v1"), kAmd64, config_, nullptr);
  ASSERT_TRUE(pulled) << pulled.error().what();
  for (const Blob* b : blobs_of(img)) EXPECT_TRUE(other->has(b->digest));
}

TEST_F(RegistryTest, PullsThePlatformsManifestThroughAnIndexAndPushesTheIndex) {
  start();
  Layer shared = make_layer({{"etc/os-release", "ID=test\n"}});
  Image amd = make_image({shared, make_layer({{"amd", "x86\n"}})}, "amd64");
  Image arm = make_image({shared, make_layer({{"arm", "aarch64\n"}})}, "arm64");
  Blob index = make_index({{&amd, "amd64"}, {&arm, "arm64"}});
  auto all = blobs_of(amd);
  for (const Blob* b : blobs_of(arm)) all.push_back(b);
  write_layout(dir_ / "multi", "m", index, all);
  skopeo_push(dir_ / "multi", "m", "multi:m");

  auto pulled = pull_image(*store_, ref("multi:m"), kArm64, config_, nullptr);
  ASSERT_TRUE(pulled) << pulled.error().what();
  ASSERT_TRUE(pulled->index_digest);
  EXPECT_EQ(*pulled->index_digest, index.digest);
  EXPECT_EQ(pulled->manifest_digest, arm.manifest.digest);
  EXPECT_EQ(pulled->config_digest, arm.config.digest);
  EXPECT_TRUE(store_->has(index.digest));
  EXPECT_TRUE(store_->has(arm.layers[1].digest));
  EXPECT_FALSE(store_->has(amd.layers[1].digest));

  auto missing = pull_image(*store_, ref("multi:m"), linux_on("s390x"), config_, nullptr);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().what().find("s390x"), std::string::npos) << missing.error().what();

  // The index names a manifest the store lacks: refused, naming it.
  auto partial = push_image(*store_, index.digest, ref("multi2:m"), config_, nullptr);
  ASSERT_FALSE(partial);
  EXPECT_NE(partial.error().what().find(amd.manifest.digest.str()), std::string::npos)
      << partial.error().what();

  ASSERT_TRUE(pull_image(*store_, ref("multi:m"), kAmd64, config_, nullptr));
  auto pushed = push_image(*store_, index.digest, ref("multi2:m"), config_, nullptr);
  ASSERT_TRUE(pushed) << pushed.error().what();
  EXPECT_EQ(sha256_of(skopeo_raw("multi2:m")), index.digest);
}

TEST_F(RegistryTest, ACorruptBlobLeavesNothingInTheStore) {
  start();
  Image img = single_image();
  skopeo_push(dir_ / "layout", "1", "test:1");
  // Same size, other bytes: only the digest can tell.
  const Blob& layer = img.layers[0];
  std::string corrupt = layer.bytes;
  corrupt[corrupt.size() / 2] ^= 0x55;
  ASSERT_TRUE(fs::write_file_atomic(registry_.blob_data(layer.digest), corrupt, 0644));

  auto pulled = pull_image(*store_, ref("test:1"), kAmd64, config_, nullptr);
  ASSERT_FALSE(pulled);
  EXPECT_NE(pulled.error().what().find("digest mismatch"), std::string::npos)
      << pulled.error().what();
  EXPECT_NE(pulled.error().what().find(layer.digest.str()), std::string::npos)
      << pulled.error().what();
  EXPECT_FALSE(store_->has(layer.digest));
  EXPECT_FALSE(fs::exists(dir_ / ("store/ingest/" + layer.digest.hex)));
}

TEST_F(RegistryTest, ABlobLargerThanItsDescriptorFailsAtOnce) {
  start();
  Image img = single_image();
  skopeo_push(dir_ / "layout", "1", "test:1");
  const Blob& layer = img.layers[1];
  ASSERT_TRUE(fs::write_file_atomic(registry_.blob_data(layer.digest),
                                    layer.bytes + std::string(4096, 'x'), 0644));

  auto pulled = pull_image(*store_, ref("test:1"), kAmd64, config_, nullptr);
  ASSERT_FALSE(pulled);
  EXPECT_NE(pulled.error().what().find(layer.digest.str()), std::string::npos)
      << pulled.error().what();
  EXPECT_NE(pulled.error().what().find(std::to_string(layer.bytes.size())), std::string::npos)
      << pulled.error().what();
  EXPECT_EQ(pulled.error().what().find("attempts"), std::string::npos)
      << "retried: " << pulled.error().what();
  EXPECT_FALSE(store_->has(layer.digest));
}

TEST_F(RegistryTest, AMissingBlobIsNamedWithTheRepository) {
  start();
  Image img = single_image();
  skopeo_push(dir_ / "layout", "1", "test:1");
  berth::image::HttpClient client(berth::image::TlsSettings{});
  auto deleted =
      client.send({.method = "DELETE",
                   .url = registry_.url() + "/v2/test/blobs/" + img.layers[0].digest.str()});
  ASSERT_TRUE(deleted) << deleted.error().what();
  ASSERT_EQ(deleted->status, 202) << deleted->body;

  auto pulled = pull_image(*store_, ref("test:1"), kAmd64, config_, nullptr);
  ASSERT_FALSE(pulled);
  const std::string e = pulled.error().what();
  EXPECT_NE(e.find(img.layers[0].digest.str()), std::string::npos) << e;
  EXPECT_NE(e.find(registry_.host() + "/test"), std::string::npos) << e;
  EXPECT_NE(e.find("does not have it"), std::string::npos) << e;
}

TEST_F(RegistryTest, AnUnknownTagIsNamed) {
  start();
  auto pulled = pull_image(*store_, ref("nothing:here"), kAmd64, config_, nullptr);
  ASSERT_FALSE(pulled);
  EXPECT_NE(pulled.error().what().find(registry_.host() + "/nothing:here"), std::string::npos)
      << pulled.error().what();
  EXPECT_NE(pulled.error().what().find("not found"), std::string::npos) << pulled.error().what();
}

TEST_F(RegistryTest, ResumesAnInterruptedDownloadWithARangeRequest) {
  start();
  Image img = single_image();
  skopeo_push(dir_ / "layout", "1", "test:1");
  // What a killed pull leaves: the first part of the layer in the ingest file.
  const Blob& layer = img.layers[1];
  {
    auto w = store_->writer(layer.digest, layer.bytes.size());
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->write(std::string_view(layer.bytes).substr(0, 1000 * 1000)));
  }
  RecordingProgress progress;
  auto pulled = pull_image(*store_, ref("test:1"), kAmd64, config_, &progress);
  ASSERT_TRUE(pulled) << pulled.error().what();
  EXPECT_EQ(store_->read(layer.digest, 1 << 22).value(), layer.bytes);
  EXPECT_TRUE(store_->check().value().empty());
}

// --- TLS and basic auth
// ---------------------------------------------------------------------------

class RegistryTlsTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    if (IsSkipped()) return;
    for (const char* tool : {"/usr/bin/openssl", "/usr/bin/htpasswd"})
      if (!executable(tool)) GTEST_SKIP() << tool << " is not installed";
    const std::string pki = dir_ / "pki";
    ASSERT_TRUE(fs::mkdir_p(pki, 0700));
    auto ssl = [&](std::vector<std::string> args) {
      args.insert(args.begin(), "openssl");
      auto r = run(args);
      ASSERT_EQ(r.status, 0) << r.output;
    };
    ssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", pki + "/ca.key", "-out", pki + "/ca.crt", "-subj", "/CN=berth test CA", "-days",
         "2"});
    ssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
         pki + "/server.key", "-out", pki + "/server.csr", "-subj", "/CN=127.0.0.1"});
    ASSERT_TRUE(fs::write_file_atomic(pki + "/ext.cnf", "subjectAltName=IP:127.0.0.1\n", 0644));
    ssl({"x509", "-req", "-in", pki + "/server.csr", "-CA", pki + "/ca.crt", "-CAkey",
         pki + "/ca.key", "-CAcreateserial", "-out", pki + "/server.crt", "-days", "2", "-extfile",
         pki + "/ext.cnf"});
    auto htpasswd = run({"htpasswd", "-Bbn", "alice", "s3cret"});
    ASSERT_EQ(htpasswd.status, 0) << htpasswd.output;
    ASSERT_TRUE(fs::write_file_atomic(dir_ / "htpasswd", htpasswd.output, 0644));
    start({.tls_cert = pki + "/server.crt",
           .tls_key = pki + "/server.key",
           .htpasswd = dir_ / "htpasswd"});
    ASSERT_TRUE(fs::mkdir_p(dir_ / ("certs.d/" + registry_.host()), 0755));
    ASSERT_TRUE(fs::write_file_atomic(dir_ / ("certs.d/" + registry_.host() + "/ca.crt"),
                                      fs::read_file(pki + "/ca.crt").value(), 0644));
  }
};

TEST_F(RegistryTlsTest, LoginPullLogout) {
  auto wrong = berth::image::login(registry_.host(), "alice", "wrong", config_);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().what().find("wrong user name or password"), std::string::npos)
      << wrong.error().what();
  EXPECT_NE(wrong.error().what().find("login to " + registry_.host()), std::string::npos)
      << wrong.error().what();
  EXPECT_FALSE(fs::exists(config_.auth_file));

  auto ok = berth::image::login("https://" + registry_.host(), "alice", "s3cret", config_);
  ASSERT_TRUE(ok) << ok.error().what();
  EXPECT_EQ(mode_of(config_.auth_file), 0600u);
  EXPECT_EQ(mode_of(dir_ / "auth"), 0700u);
  auto written = nlohmann::json::parse(fs::read_file(config_.auth_file).value());
  EXPECT_EQ(written["auths"][registry_.host()]["auth"], "YWxpY2U6czNjcmV0");  // alice:s3cret

  Image img = single_image();
  skopeo_push(dir_ / "layout", "1", "test:1", {"--dest-creds", "alice:s3cret"});

  RegistryConfig anonymous = config_;
  anonymous.auth_file = dir_ / "nobody.json";
  auto denied = pull_image(*store_, ref("test:1"), kAmd64, anonymous, nullptr);
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().what().find("401"), std::string::npos) << denied.error().what();

  auto pulled = pull_image(*store_, ref("test:1"), kAmd64, config_, nullptr);
  ASSERT_TRUE(pulled) << pulled.error().what();
  EXPECT_EQ(pulled->manifest_digest, img.manifest.digest);
  auto pushed = push_image(*store_, img.manifest.digest, ref("again:1"), config_, nullptr);
  ASSERT_TRUE(pushed) << pushed.error().what();
  EXPECT_EQ(sha256_of(skopeo_raw("again:1", {"--creds", "alice:s3cret"})), img.manifest.digest);

  // Credentials found in a read-only file too.
  RegistryConfig reader = config_;
  reader.auth_file = dir_ / "other.json";
  reader.read_auth_files = {config_.auth_file};
  EXPECT_TRUE(pull_image(*store_, ref("test:1"), kAmd64, reader, nullptr));

  ASSERT_TRUE(berth::image::logout(registry_.host(), config_));
  written = nlohmann::json::parse(fs::read_file(config_.auth_file).value());
  EXPECT_FALSE(written["auths"].contains(registry_.host()));
  auto twice = berth::image::logout(registry_.host(), config_);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().what(), "not logged in to " + registry_.host());
}

TEST_F(RegistryTlsTest, VerifiesTheServerWithTheCaOfCertsD) {
  // 127.0.0.1 is always insecure, so the registry code skips verification; the CA plumbing is
  // checked here with verification forced on.
  auto tls = berth::image::registry_tls(registry_.host(), config_, true);
  ASSERT_TRUE(tls) << tls.error().what();
  EXPECT_NE(tls->extra_ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  berth::image::HttpClient verified(*tls);
  auto r = verified.send({.method = "GET", .url = registry_.url() + "/v2/"});
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->status, 401);

  berth::image::HttpClient system_cas(berth::image::TlsSettings{});
  auto refused = system_cas.send({.method = "GET", .url = registry_.url() + "/v2/"});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().what().find("GET " + registry_.url() + "/v2/"), std::string::npos)
      << refused.error().what();
}

}  // namespace
