#include "image/manifest.hpp"

#include <gtest/gtest.h>

#include <string>

#include "image/chain_id.hpp"
#include "image/image_config.hpp"
#include "image/media_types.hpp"
#include "image/platform.hpp"
#include "image/select_manifest.hpp"

namespace {

using namespace berth::image;
namespace mt = berth::image::media_type;

std::string hex_of(const std::string& s) {
  return sha256_of(s).hex;
}
std::string digest_of(const std::string& s) {
  return sha256_of(s).str();
}

// Like `docker buildx build --platform linux/amd64,linux/arm64` with provenance: two images and
// their attestation manifests.
std::string oci_index() {
  return R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": ")" +
         digest_of("amd64") + R"(",
      "size": 1054,
      "platform": {"architecture": "amd64", "os": "linux"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": ")" +
         digest_of("arm64") + R"(",
      "size": 1054,
      "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": ")" +
         digest_of("att-amd64") + R"(",
      "size": 566,
      "annotations": {
        "vnd.docker.reference.digest": ")" +
         digest_of("amd64") + R"(",
        "vnd.docker.reference.type": "attestation-manifest"
      },
      "platform": {"architecture": "unknown", "os": "unknown"}
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": ")" +
         digest_of("att-arm64") + R"(",
      "size": 566,
      "annotations": {
        "vnd.docker.reference.digest": ")" +
         digest_of("arm64") + R"(",
        "vnd.docker.reference.type": "attestation-manifest"
      },
      "platform": {"architecture": "unknown", "os": "unknown"}
    }
  ],
  "annotations": {"org.opencontainers.image.created": "2024-05-01T10:00:00Z"}
})";
}

// Like library/busybox on Docker Hub in 2022.
std::string docker_manifest_list() {
  return R"({
  "manifests": [
    {"digest": ")" +
         digest_of("l-amd64") + R"(",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "amd64", "os": "linux"}, "size": 527},
    {"digest": ")" +
         digest_of("l-arm-v5") + R"(",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "arm", "os": "linux", "variant": "v5"}, "size": 527},
    {"digest": ")" +
         digest_of("l-arm-v7") + R"(",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}, "size": 527},
    {"digest": ")" +
         digest_of("l-arm64") + R"(",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "arm64", "os": "linux"}, "size": 527},
    {"digest": ")" +
         digest_of("l-s390x") + R"(",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "s390x", "os": "linux"}, "size": 527},
    {"digest": ")" +
         digest_of("l-windows") + R"(",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.3287",
                  "os.features": ["win32k"]}, "size": 527}
  ],
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "schemaVersion": 2
})";
}

std::string docker_manifest() {
  return R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 7023,
      "digest": ")" +
         digest_of("config") + R"("
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 32654,
         "digest": ")" +
         digest_of("layer0") + R"("
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 16724,
         "digest": ")" +
         digest_of("layer1") + R"("
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 73109,
         "digest": ")" +
         digest_of("layer2") + R"("
      }
   ]
})";
}

std::string oci_manifest_zstd() {
  return R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {
    "mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": ")" +
         digest_of("oci-config") + R"(",
    "size": 581
  },
  "layers": [
    {
      "mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
      "digest": ")" +
         digest_of("zstd-layer") + R"(",
      "size": 2097152,
      "urls": ["https://mirror.example.com/blob"],
      "annotations": {"org.opencontainers.image.title": "rootfs.tar.zst"}
    }
  ],
  "annotations": {"org.opencontainers.image.base.name": "docker.io/library/alpine:3.19"}
})";
}

std::string schema1_manifest() {
  return R"({
   "schemaVersion": 1,
   "name": "library/hello-world",
   "tag": "latest",
   "architecture": "amd64",
   "fsLayers": [
      {"blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}
   ],
   "history": [{"v1Compatibility": "{\"id\":\"e45a5af57b00\"}"}],
   "signatures": []
})";
}

Platform platform(const std::string& os, const std::string& arch, const std::string& variant = {}) {
  Platform p;
  p.os = os;
  p.architecture = arch;
  p.variant = variant;
  return p;
}
Platform linux(const std::string& arch, const std::string& variant = {}) {
  return platform("linux", arch, variant);
}

Descriptor manifest_descriptor(const std::string& content) {
  Descriptor d;
  d.media_type = mt::kOciManifest;
  d.digest = sha256_of(content);
  d.size = 1;
  return d;
}

TEST(Manifest, OciIndexByMediaType) {
  auto doc = parse_manifest(oci_index());
  ASSERT_TRUE(doc) << doc.error().what();
  const auto& idx = std::get<Index>(*doc);
  EXPECT_EQ(idx.media_type, mt::kOciIndex);
  ASSERT_EQ(idx.manifests.size(), 4u);
  EXPECT_EQ(idx.manifests[1].digest.hex, hex_of("arm64"));
  EXPECT_EQ(idx.manifests[1].size, 1054);
  EXPECT_EQ(idx.manifests[1].platform->str(), "linux/arm64/v8");
  EXPECT_EQ(idx.manifests[2].annotations.at("vnd.docker.reference.type"), "attestation-manifest");
  EXPECT_EQ(idx.annotations.at("org.opencontainers.image.created"), "2024-05-01T10:00:00Z");
}

TEST(Manifest, DockerManifestList) {
  auto doc = parse_manifest(docker_manifest_list());
  ASSERT_TRUE(doc) << doc.error().what();
  const auto& idx = std::get<Index>(*doc);
  EXPECT_EQ(idx.media_type, mt::kDockerManifestList);
  ASSERT_EQ(idx.manifests.size(), 6u);
  const auto& win = *idx.manifests[5].platform;
  EXPECT_EQ(win.os_version, "10.0.17763.3287");
  EXPECT_EQ(win.os_features, std::vector<std::string>{"win32k"});
}

TEST(Manifest, DockerSchema2WithGzipLayers) {
  auto doc = parse_manifest(docker_manifest(), "application/json");
  ASSERT_TRUE(doc) << doc.error().what();
  const auto& m = std::get<Manifest>(*doc);
  EXPECT_EQ(m.media_type, mt::kDockerManifest);
  EXPECT_EQ(m.config.media_type, mt::kDockerConfig);
  EXPECT_EQ(m.config.digest.hex, hex_of("config"));
  EXPECT_EQ(m.config.size, 7023);
  ASSERT_EQ(m.layers.size(), 3u);
  for (const auto& l : m.layers) EXPECT_EQ(l.media_type, mt::kDockerLayer);
  EXPECT_EQ(m.layers[2].digest.hex, hex_of("layer2"));
  EXPECT_EQ(m.layers[2].size, 73109);
}

TEST(Manifest, OciManifestWithZstdLayer) {
  auto doc = parse_manifest(oci_manifest_zstd());
  ASSERT_TRUE(doc) << doc.error().what();
  const auto& m = std::get<Manifest>(*doc);
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].media_type, mt::kOciLayerZstd);
  EXPECT_EQ(m.layers[0].urls, std::vector<std::string>{"https://mirror.example.com/blob"});
  EXPECT_EQ(m.layers[0].annotations.at("org.opencontainers.image.title"), "rootfs.tar.zst");
  EXPECT_EQ(m.annotations.at("org.opencontainers.image.base.name"),
            "docker.io/library/alpine:3.19");
}

TEST(Manifest, KindFromHintThenShape) {
  auto without_type = [](std::string text) {
    auto at = text.find("\"mediaType\": \"application/vnd.oci.image.index.v1+json\",");
    return text.erase(
        at, std::string("\"mediaType\": \"application/vnd.oci.image.index.v1+json\",").size());
  };
  auto by_hint = parse_manifest(without_type(oci_index()),
                                "application/vnd.docker.distribution.manifest.list.v2+json; q=1");
  ASSERT_TRUE(by_hint) << by_hint.error().what();
  EXPECT_EQ(std::get<Index>(*by_hint).media_type, mt::kDockerManifestList);

  auto by_shape = parse_manifest(without_type(oci_index()), "application/octet-stream");
  ASSERT_TRUE(by_shape) << by_shape.error().what();
  EXPECT_EQ(std::get<Index>(*by_shape).manifests.size(), 4u);

  auto manifest_by_shape = parse_manifest(R"({"schemaVersion": 2, "config": {
      "mediaType": "application/vnd.oci.image.config.v1+json",
      "digest": ")" + digest_of("c") + R"(", "size": 2}, "layers": []})");
  ASSERT_TRUE(manifest_by_shape) << manifest_by_shape.error().what();
  EXPECT_TRUE(std::get<Manifest>(*manifest_by_shape).layers.empty());

  EXPECT_EQ(parse_manifest(R"({"schemaVersion": 2})").error().what(),
            "manifest: neither an image manifest (no \"layers\") nor an index (no \"manifests\"), "
            "and no mediaType");
}

TEST(Manifest, Schema1IsRefused) {
  const std::string msg =
      "Docker schema1 manifests are not supported: push the image again with a current client";
  EXPECT_EQ(parse_manifest(schema1_manifest()).error().what(), msg);
  EXPECT_EQ(parse_manifest(schema1_manifest(), mt::kDockerSchema1Signed).error().what(), msg);
  EXPECT_EQ(parse_manifest(schema1_manifest(), mt::kDockerManifest).error().what(), msg);
  EXPECT_EQ(parse_manifest(R"({"schemaVersion": 1, "mediaType":
      "application/vnd.docker.distribution.manifest.v1+prettyjws"})")
                .error()
                .what(),
            msg);
}

TEST(Manifest, SchemaVersionMustBeTwo) {
  auto text = docker_manifest();
  text.replace(text.find("\"schemaVersion\": 2"), 18, "\"schemaVersion\": 3");
  EXPECT_EQ(parse_manifest(text).error().what(), "manifest.schemaVersion: must be 2, got 3");
  text.replace(text.find("\"schemaVersion\": 3,"), 19, "");
  EXPECT_EQ(parse_manifest(text).error().what(), "manifest.schemaVersion: missing");
}

TEST(Manifest, TooLargeIsRefusedBeforeParsing) {
  std::string huge = docker_manifest();
  huge.insert(huge.size() - 1, std::string(5 * 1024 * 1024, ' '));
  EXPECT_EQ(parse_manifest(huge).error().what(),
            "manifest is " + std::to_string(huge.size()) + " bytes, more than the 4194304 allowed");
}

TEST(Manifest, MalformedJson) {
  EXPECT_EQ(parse_manifest(R"({"schemaVersion": 2,, })").error().what(),
            "manifest: invalid JSON at byte 21");
  EXPECT_EQ(parse_manifest("").error().what(), "manifest: invalid JSON at byte 1");
  EXPECT_EQ(parse_manifest("[1, 2]").error().what(), "manifest: must be an object");
}

TEST(Manifest, BadDescriptorsNameTheField) {
  auto text = docker_manifest();
  text.replace(text.find(digest_of("layer1")), 71, "sha256:1234");
  EXPECT_EQ(parse_manifest(text).error().what(),
            "manifest.layers[1].digest: invalid sha256 digest \"sha256:1234\"");

  text = docker_manifest();
  text.replace(text.find("16724"), 5, "-1");
  EXPECT_EQ(parse_manifest(text).error().what(),
            "manifest.layers[1].size: must not be negative, got -1");

  text = docker_manifest();
  text.replace(text.find("\"size\": 7023,"), 13, "");
  EXPECT_EQ(parse_manifest(text).error().what(), "manifest.config.size: missing");
}

TEST(Manifest, UnknownLayerMediaTypeIsNamed) {
  auto text = oci_manifest_zstd();
  text.replace(text.find("application/vnd.oci.image.layer.v1.tar+zstd"), 43,
               "application/vnd.in-toto+json");
  EXPECT_EQ(parse_manifest(text).error().what(),
            "manifest.layers[0].mediaType: unsupported layer media type "
            "\"application/vnd.in-toto+json\"");
}

TEST(Manifest, AmbiguousDocumentsAreRefused) {
  auto text = docker_manifest();
  text.insert(text.size() - 1, R"(, "manifests": [])");
  EXPECT_EQ(parse_manifest(text).error().what(),
            "manifest.manifests: not allowed in an image manifest (is it an index?)");
  EXPECT_EQ(parse_manifest(R"({"schemaVersion": 2, "mediaType": "text/html"})").error().what(),
            "manifest.mediaType: unsupported manifest media type \"text/html\"");
}

TEST(Platform, FromMachine) {
  EXPECT_EQ(platform_for_machine("x86_64"), linux("amd64"));
  EXPECT_EQ(platform_for_machine("aarch64"), linux("arm64", "v8"));
  EXPECT_EQ(platform_for_machine("armv7l"), linux("arm", "v7"));
  EXPECT_EQ(platform_for_machine("i686"), linux("386"));
  EXPECT_EQ(platform_for_machine("s390x"), linux("s390x"));
  EXPECT_EQ(platform_for_machine("sparc64"), linux("sparc64"));
  EXPECT_EQ(host_platform().os, "linux");
  EXPECT_FALSE(host_platform().architecture.empty());
}

TEST(SelectManifest, OciIndexSkipsAttestations) {
  auto idx = std::get<Index>(*parse_manifest(oci_index()));
  EXPECT_EQ(select_manifest(idx, linux("amd64"))->digest.hex, hex_of("amd64"));
  EXPECT_EQ(select_manifest(idx, linux("arm64", "v8"))->digest.hex, hex_of("arm64"));
  EXPECT_EQ(select_manifest(idx, linux("arm64"))->digest.hex, hex_of("arm64"));
  EXPECT_EQ(select_manifest(idx, linux("s390x")).error().what(),
            "no manifest for linux/s390x in index: available linux/amd64, linux/arm64/v8");
  EXPECT_EQ(select_manifest(idx, platform("unknown", "unknown")).error().what(),
            "no manifest for unknown/unknown in index: available linux/amd64, linux/arm64/v8");
}

TEST(SelectManifest, DockerListVariants) {
  auto idx = std::get<Index>(*parse_manifest(docker_manifest_list()));
  EXPECT_EQ(select_manifest(idx, linux("arm", "v7"))->digest.hex, hex_of("l-arm-v7"));
  EXPECT_EQ(select_manifest(idx, linux("arm", "v5"))->digest.hex, hex_of("l-arm-v5"));
  EXPECT_EQ(select_manifest(idx, linux("arm64", "v8"))->digest.hex, hex_of("l-arm64"));
  EXPECT_EQ(select_manifest(idx, linux("amd64"))->digest.hex, hex_of("l-amd64"));
  EXPECT_EQ(select_manifest(idx, linux("s390x"))->digest.hex, hex_of("l-s390x"));
  EXPECT_EQ(select_manifest(idx, platform("windows", "amd64"))->digest.hex, hex_of("l-windows"));
  EXPECT_EQ(select_manifest(idx, linux("arm", "v6")).error().what(),
            "no manifest for linux/arm/v6 in index: available linux/amd64, linux/arm/v5, "
            "linux/arm/v7, linux/arm64, linux/s390x, windows/amd64");
}

TEST(SelectManifest, VariantFallbackAndSingleEntry) {
  Index idx;
  auto d = manifest_descriptor("amd64");
  d.platform = linux("amd64", "v3");
  idx.manifests.push_back(d);
  EXPECT_FALSE(select_manifest(idx, linux("amd64")));
  d.digest = sha256_of("plain");
  d.platform = linux("amd64");
  idx.manifests.push_back(d);
  EXPECT_EQ(select_manifest(idx, linux("amd64", "v2"))->digest.hex, hex_of("plain"));
  EXPECT_EQ(select_manifest(idx, linux("amd64", "v3"))->digest.hex, hex_of("amd64"));

  Index single;
  single.manifests.push_back(manifest_descriptor("only"));
  EXPECT_EQ(select_manifest(single, linux("riscv64"))->digest.hex, hex_of("only"));
  single.manifests.push_back(single.manifests[0]);
  EXPECT_EQ(select_manifest(single, linux("riscv64")).error().what(),
            "no manifest for linux/riscv64 in index: available none");
}

std::string image_config() {
  return R"({
  "architecture": "amd64",
  "os": "linux",
  "created": "2024-05-01T10:00:00.123456789Z",
  "config": {
    "User": "nginx",
    "Env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "NGINX_VERSION=1.25.5"
    ],
    "Entrypoint": ["/docker-entrypoint.sh"],
    "Cmd": ["nginx", "-g", "daemon off;"],
    "WorkingDir": "/srv",
    "Labels": {"maintainer": "NGINX Docker Maintainers"},
    "ExposedPorts": {"80/tcp": {}, "443/tcp": {}},
    "Volumes": {"/var/cache/nginx": {}},
    "StopSignal": "SIGQUIT",
    "Healthcheck": {
      "Test": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
      "Interval": 30000000000
    },
    "OnBuild": null
  },
  "rootfs": {
    "type": "layers",
    "diff_ids": [
      ")" +
         digest_of("a") + R"(",
      ")" +
         digest_of("b") + R"(",
      ")" +
         digest_of("c") + R"("
    ]
  },
  "history": [
    {"created": "2024-04-10T01:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
    {"created": "2024-04-10T01:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]",
     "empty_layer": true},
    {"created": "2024-05-01T10:00:00Z", "created_by": "RUN /bin/sh -c apt-get update # buildkit",
     "comment": "buildkit.dockerfile.v0"},
    {"created": "2024-05-01T10:00:00Z", "created_by": "COPY docker-entrypoint.sh / # buildkit",
     "comment": "buildkit.dockerfile.v0"}
  ]
})";
}

TEST(ImageConfig, ParsesDockerShapedConfig) {
  auto c = parse_image_config(image_config());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->architecture, "amd64");
  EXPECT_EQ(c->os, "linux");
  EXPECT_EQ(c->created, "2024-05-01T10:00:00.123456789Z");
  EXPECT_EQ(c->config.user, "nginx");
  EXPECT_EQ(c->config.env.size(), 2u);
  EXPECT_EQ(c->config.entrypoint, std::vector<std::string>{"/docker-entrypoint.sh"});
  EXPECT_EQ(c->config.cmd, (std::vector<std::string>{"nginx", "-g", "daemon off;"}));
  EXPECT_EQ(c->config.working_dir, "/srv");
  EXPECT_EQ(c->config.labels.at("maintainer"), "NGINX Docker Maintainers");
  EXPECT_EQ(c->config.exposed_ports, (std::vector<std::string>{"443/tcp", "80/tcp"}));
  EXPECT_EQ(c->config.volumes, std::vector<std::string>{"/var/cache/nginx"});
  EXPECT_EQ(c->config.stop_signal, "SIGQUIT");
  EXPECT_EQ(c->config.healthcheck["Interval"], 30000000000);
  EXPECT_EQ(c->rootfs.type, "layers");
  ASSERT_EQ(c->rootfs.diff_ids.size(), 3u);
  EXPECT_EQ(c->rootfs.diff_ids[2].hex, hex_of("c"));
  ASSERT_EQ(c->history.size(), 4u);
  EXPECT_TRUE(c->history[1].empty_layer);
  EXPECT_FALSE(c->history[2].empty_layer);
  EXPECT_EQ(c->history[2].comment, "buildkit.dockerfile.v0");
}

TEST(ImageConfig, MinimalOciConfigWithNulls) {
  auto c = parse_image_config(
      R"({"architecture": "arm64", "variant": "v8", "os": "linux",
          "config": {"Entrypoint": null, "Cmd": null, "Labels": null},
          "rootfs": {"type": "layers", "diff_ids": []}})");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->variant, "v8");
  EXPECT_TRUE(c->config.cmd.empty());
  EXPECT_TRUE(c->config.healthcheck.is_null());
  EXPECT_TRUE(c->history.empty());
}

TEST(ImageConfig, ErrorsNameTheField) {
  auto text = image_config();
  text.replace(text.find(digest_of("c")), 71, "sha256:zz");
  EXPECT_EQ(parse_image_config(text).error().what(),
            "config.rootfs.diff_ids[2]: invalid sha256 digest \"sha256:zz\"");

  text = image_config();
  text.replace(text.find("\"type\": \"layers\""), 16, "\"type\": \"tarball\"");
  EXPECT_EQ(parse_image_config(text).error().what(),
            "config.rootfs.type: must be \"layers\", got \"tarball\"");

  text = image_config();
  text.replace(text.find("\"Cmd\": ["), 8, "\"Cmd\": [1, ");
  EXPECT_EQ(parse_image_config(text).error().what(),
            "config.config.Cmd: must be an array of strings");

  text = image_config();
  text.replace(text.find("\"empty_layer\": true"), 19, "\"empty_layer\": 1");
  EXPECT_EQ(parse_image_config(text).error().what(),
            "config.history[1].empty_layer: must be true or false");

  EXPECT_EQ(parse_image_config(R"({"os": "linux", "rootfs": {}})").error().what(),
            "config.architecture: missing");
  EXPECT_EQ(parse_image_config("{").error().what(), "config: invalid JSON at byte 2");
}

TEST(ChainIds, FollowTheOciFormula) {
  std::vector<Digest> diff_ids{sha256_of("a"), sha256_of("b"), sha256_of("c")};
  auto ids = chain_ids(diff_ids);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], diff_ids[0]);
  EXPECT_EQ(ids[1], sha256_of(diff_ids[0].str() + " " + diff_ids[1].str()));
  EXPECT_EQ(ids[2], sha256_of(ids[1].str() + " " + diff_ids[2].str()));
  EXPECT_TRUE(chain_ids({}).empty());
}

TEST(ChainIds, KnownVector) {
  // d0..d2 = sha256 of "a", "b", "c"; then, in a shell:
  // printf 'sha256:<d0> sha256:<d1>' | sha256sum, and the same with that result and d2.
  auto d = [](const char* hex) { return *parse_digest(std::string("sha256:") + hex); };
  auto ids = chain_ids({d("ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
                        d("3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"),
                        d("2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6")});
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[1].hex, "51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676");
  EXPECT_EQ(ids[2].hex, "2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106");
}

}  // namespace
