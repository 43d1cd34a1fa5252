#include "image/archive.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "base/subprocess.hpp"
#include "image/content_store.hpp"
#include "image/image_config.hpp"
#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "tar_fixtures.hpp"

namespace {

using berth::unique_fd;
using berth::image::ArchiveFormat;
using berth::image::ArchiveImage;
using berth::image::ContentStore;
using berth::image::Digest;
using berth::image::load_archive;
using berth::image::Manifest;
using berth::image::save_archive;
using berth::image::sha256_of;
namespace media_type = berth::image::media_type;
using nlohmann::json;
using tar_fixtures::directory;
using tar_fixtures::file;
using tar_fixtures::Filter;
using tar_fixtures::Member;
using tar_fixtures::memfd_with;
using tar_fixtures::symlink;
using tar_fixtures::tar;
using tar_fixtures::TempDir;

struct Layer {
  std::vector<Member> members;
  Filter filter = Filter::plain;
};

std::string_view layer_media_type(Filter f) {
  switch (f) {
    case Filter::gzip:
      return media_type::kOciLayerGzip;
    case Filter::zstd:
      return media_type::kOciLayerZstd;
    default:
      return media_type::kOciLayer;
  }
}

json descriptor(std::string_view type, const std::string& bytes) {
  return {{"mediaType", type}, {"digest", sha256_of(bytes).str()}, {"size", bytes.size()}};
}

std::string config_json(const std::vector<std::string>& diff_ids, const std::string& label) {
  json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", "2024-01-02T03:04:05Z"},
      {"config", {{"Cmd", {"/bin/sh"}}, {"Labels", {{"which", label}}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
      {"history", json::array({{{"created_by", "test"}}})},
  };
  return config.dump();
}

// An image put into store by hand: its layers compressed as asked, an OCI manifest over them.
ArchiveImage build_image(const ContentStore& store, const std::vector<Layer>& layers,
                         std::vector<std::string> names, const std::string& label) {
  std::vector<std::string> diff_ids;
  json layer_descriptors = json::array();
  for (const auto& l : layers) {
    diff_ids.push_back(sha256_of(tar(l.members)).str());
    std::string blob = tar(l.members, l.filter);
    EXPECT_TRUE(store.put(blob));
    layer_descriptors.push_back(descriptor(layer_media_type(l.filter), blob));
  }
  std::string config = config_json(diff_ids, label);
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", media_type::kOciManifest},
                   {"config", descriptor(media_type::kOciConfig, config)},
                   {"layers", layer_descriptors}};
  std::string manifest_bytes = manifest.dump();
  EXPECT_TRUE(store.put(config));
  EXPECT_TRUE(store.put(manifest_bytes));
  return {sha256_of(manifest_bytes), std::string(media_type::kOciManifest), sha256_of(config),
          std::move(names)};
}

std::string save(const ContentStore& store, const std::vector<ArchiveImage>& images,
                 ArchiveFormat format) {
  unique_fd out(::memfd_create("saved", MFD_CLOEXEC));
  auto status = save_archive(store, images, format, out.get());
  EXPECT_TRUE(status) << status.error().what();
  return tar_fixtures::read_fd_from_start(out.get());
}

berth::Result<std::vector<ArchiveImage>> load(const ContentStore& store, const std::string& bytes) {
  auto fd = memfd_with(bytes);
  return load_archive(store, fd.get());
}

Manifest manifest_of(const ContentStore& store, const ArchiveImage& image) {
  auto bytes = store.read(image.manifest_digest, 1 << 20);
  EXPECT_TRUE(bytes) << bytes.error().what();
  auto doc = berth::image::parse_manifest(bytes.value_or("{}"));
  EXPECT_TRUE(doc) << doc.error().what();
  return std::get<Manifest>(doc.value());
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = ContentStore::open(dir_.at("a"));
    auto b = ContentStore::open(dir_.at("b"));
    ASSERT_TRUE(a && b);
    a_.emplace(std::move(*a));
    b_.emplace(std::move(*b));
  }
  const ContentStore& a() { return *a_; }
  const ContentStore& b() { return *b_; }

  ArchiveImage two_layer_image(std::vector<std::string> names) {
    return build_image(a(),
                       {{{directory("bin"), file("bin/sh", "#!shell\n")}, Filter::gzip},
                        {{directory("etc"), file("etc/hosts", "127.0.0.1 localhost\n")}}},
                       std::move(names), "two");
  }

  // Fails the test when load succeeds; returns the message otherwise.
  std::string load_error(const std::string& bytes) {
    auto images = load(b(), bytes);
    EXPECT_FALSE(images) << "loaded " << images->size() << " images";
    return images ? "" : images.error().what();
  }
  size_t blobs_in_b() { return b().list().value().size(); }

  TempDir dir_;
  std::optional<ContentStore> a_;
  std::optional<ContentStore> b_;
};

TEST_F(ArchiveTest, OciRoundTripKeepsManifestConfigAndNames) {
  auto one = two_layer_image({"docker.io/library/busybox:latest", "example.com:5000/x/y:v1"});
  auto other = build_image(a(), {{{file("only", "one")}}}, {}, "other");
  auto bytes = save(a(), {one, other}, ArchiveFormat::oci);
  auto images = load(b(), bytes);
  ASSERT_TRUE(images) << images.error().what();
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].manifest_digest, one.manifest_digest);
  EXPECT_EQ((*images)[0].config_digest, one.config_digest);
  EXPECT_EQ((*images)[0].manifest_media_type, media_type::kOciManifest);
  EXPECT_EQ(sorted((*images)[0].names), sorted(one.names));
  EXPECT_EQ((*images)[1].config_digest, other.config_digest);
  EXPECT_TRUE((*images)[1].names.empty());
  for (const auto& l : manifest_of(b(), (*images)[0]).layers) EXPECT_TRUE(b().has(l.digest));
  EXPECT_TRUE(b().check().value().empty());
}

TEST_F(ArchiveTest, DockerRoundTripKeepsConfigAndStoresUncompressedLayers) {
  auto image = two_layer_image({"docker.io/library/busybox:latest", "quay.io/team/app:2"});
  auto bytes = save(a(), {image}, ArchiveFormat::docker);
  auto images = load(b(), bytes);
  ASSERT_TRUE(images) << images.error().what();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].config_digest, image.config_digest);
  EXPECT_EQ(sorted((*images)[0].names), sorted(image.names));
  auto config = berth::image::parse_image_config(b().read(image.config_digest, 1 << 20).value());
  ASSERT_TRUE(config);
  auto m = manifest_of(b(), (*images)[0]);
  EXPECT_EQ(m.media_type, media_type::kOciManifest);
  EXPECT_EQ(m.config.media_type, media_type::kDockerConfig);
  ASSERT_EQ(m.layers.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(m.layers[i].media_type, media_type::kOciLayer);
    EXPECT_EQ(m.layers[i].digest, config->rootfs.diff_ids[i]);
    EXPECT_TRUE(b().has(m.layers[i].digest));
  }
  // Saved again from the second store, the archive is the same: nothing depends on the time.
  EXPECT_EQ(save(b(), *images, ArchiveFormat::docker), bytes);
}

TEST_F(ArchiveTest, DockerSaveHasTheLegacyLayout) {
  auto image = two_layer_image({"docker.io/library/busybox:latest"});
  auto bytes = save(a(), {image}, ArchiveFormat::docker);
  // Read back with libarchive: names and manifest.json.
  std::vector<std::string> names;
  std::string manifest, repositories;
  archive* ar = archive_read_new();
  archive_read_support_format_tar(ar);
  ASSERT_EQ(archive_read_open_memory(ar, bytes.data(), bytes.size()), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(e);
    names.push_back(name);
    std::string data(static_cast<size_t>(archive_entry_size(e)), '\0');
    if (!data.empty()) archive_read_data(ar, data.data(), data.size());
    if (name == "manifest.json") manifest = data;
    if (name == "repositories") repositories = data;
  }
  archive_read_free(ar);
  auto m = json::parse(manifest);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["Config"], image.config_digest.hex + ".json");
  EXPECT_EQ(m[0]["RepoTags"], json::array({"busybox:latest"}));
  ASSERT_EQ(m[0]["Layers"].size(), 2u);
  for (const auto& l : m[0]["Layers"]) {
    std::string layer = l.get<std::string>();
    EXPECT_TRUE(layer.ends_with("/layer.tar")) << layer;
    std::string dir = layer.substr(0, layer.find('/'));
    for (auto want : {layer, dir + "/VERSION", dir + "/json"})
      EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  std::string top = m[0]["Layers"][1].get<std::string>();
  EXPECT_EQ(json::parse(repositories), json({{"busybox", {{"latest", top.substr(0, 64)}}}}));
}

// As docker 20.10 writes it: <v1 id>/{layer.tar,json,VERSION}, <config hex>.json, manifest.json,
// repositories; a layer used twice is a symlink to the first copy.
TEST_F(ArchiveTest, LoadsDocker2010Archive) {
  std::string layer1 = tar({directory("bin"), file("bin/sh", "#!shell\n")});
  std::string layer2 = tar({file("etc/hosts", "127.0.0.1 localhost\n")});
  std::string d1 = sha256_of(layer1).str(), d2 = sha256_of(layer2).str();
  std::string config1 = config_json({d1, d2}, "one");
  std::string config2 = config_json({d1}, "two");
  std::string id1 = sha256_of("v1 one").hex, id2 = sha256_of("v1 two").hex,
              id3 = sha256_of("v1 three").hex;
  json manifest = json::array({{{"Config", sha256_of(config1).hex + ".json"},
                                {"RepoTags", {"busybox:latest", "example.com:5000/team/app:v1"}},
                                {"Layers", {id1 + "/layer.tar", id2 + "/layer.tar"}}},
                               {{"Config", sha256_of(config2).hex + ".json"},
                                {"RepoTags", nullptr},
                                {"Layers", {id3 + "/layer.tar"}}}});
  std::vector<Member> members = {
      directory(id1),
      file(id1 + "/VERSION", "1.0"),
      file(id1 + "/json", R"({"id":")" + id1 + R"("})"),
      file(id1 + "/layer.tar", layer1),
      directory(id2),
      file(id2 + "/VERSION", "1.0"),
      file(id2 + "/json", R"({"id":")" + id2 + R"(","parent":")" + id1 + R"("})"),
      file(id2 + "/layer.tar", layer2),
      directory(id3),
      symlink(id3 + "/layer.tar", "../" + id1 + "/layer.tar"),
      file(sha256_of(config1).hex + ".json", config1),
      file(sha256_of(config2).hex + ".json", config2),
      file("manifest.json", manifest.dump()),
      file("repositories", json({{"busybox", {{"latest", id2}}}}).dump()),
  };
  for (auto filter : {Filter::plain, Filter::gzip}) {
    auto images = load(b(), tar(members, filter));
    ASSERT_TRUE(images) << images.error().what();
    ASSERT_EQ(images->size(), 2u);
    const auto& one = (*images)[0];
    EXPECT_EQ(one.config_digest, sha256_of(config1));
    EXPECT_EQ(one.names, (std::vector<std::string>{"docker.io/library/busybox:latest",
                                                   "example.com:5000/team/app:v1"}));
    auto m = manifest_of(b(), one);
    ASSERT_EQ(m.layers.size(), 2u);
    EXPECT_EQ(m.layers[0].digest.str(), d1);
    EXPECT_EQ(m.layers[1].digest.str(), d2);
    EXPECT_EQ(b().read(m.layers[1].digest, 1 << 20).value(), layer2);
    EXPECT_EQ((*images)[1].config_digest, sha256_of(config2));
    EXPECT_TRUE((*images)[1].names.empty());
    EXPECT_EQ(manifest_of(b(), (*images)[1]).layers[0].digest.str(), d1);
  }
  // Only what the images use: configs, manifests, two layers.
  EXPECT_EQ(blobs_in_b(), 6u);
  EXPECT_TRUE(b().check().value().empty());
}

TEST_F(ArchiveTest, LoadsCompressedOciArchive) {
  if (!tar_fixtures::filter_available(Filter::zstd)) GTEST_SKIP() << "libarchive without zstd";
  auto image = two_layer_image({"docker.io/library/busybox:1"});
  auto bytes = save(a(), {image}, ArchiveFormat::oci);
  // The same members, recompressed.
  std::vector<Member> members;
  archive* ar = archive_read_new();
  archive_read_support_format_tar(ar);
  ASSERT_EQ(archive_read_open_memory(ar, bytes.data(), bytes.size()), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
    std::string data(static_cast<size_t>(archive_entry_size(e)), '\0');
    if (!data.empty()) archive_read_data(ar, data.data(), data.size());
    if (archive_entry_filetype(e) == AE_IFREG)
      members.push_back(file(archive_entry_pathname(e), data));
  }
  archive_read_free(ar);
  auto images = load(b(), tar(members, Filter::zstd));
  ASSERT_TRUE(images) << images.error().what();
  EXPECT_EQ((*images)[0].manifest_digest, image.manifest_digest);
}

// Docker 25+: an OCI layout (uncompressed layers) that also carries manifest.json.
TEST_F(ArchiveTest, LoadsDocker25ArchiveWithNamesFromIndexAndManifestJson) {
  std::string layer = tar({file("bin/sh", "#!shell\n")});
  std::string config = config_json({sha256_of(layer).str()}, "25");
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", media_type::kOciManifest},
                   {"config", descriptor(media_type::kOciConfig, config)},
                   {"layers", {descriptor(media_type::kOciLayer, layer)}}};
  std::string manifest_bytes = manifest.dump();
  json entry = descriptor(media_type::kOciManifest, manifest_bytes);
  entry["annotations"] = {{"io.containerd.image.name", "docker.io/library/busybox:latest"},
                          {"org.opencontainers.image.ref.name", "latest"}};
  json index = {{"schemaVersion", 2}, {"mediaType", media_type::kOciIndex}, {"manifests", {entry}}};
  json docker_manifest = json::array({{{"Config", "blobs/sha256/" + sha256_of(config).hex},
                                       {"RepoTags", {"busybox:latest", "extra:1"}},
                                       {"Layers", {"blobs/sha256/" + sha256_of(layer).hex}}}});
  std::vector<Member> members = {
      directory("blobs"),
      directory("blobs/sha256"),
      file("blobs/sha256/" + sha256_of(layer).hex, layer),
      file("blobs/sha256/" + sha256_of(config).hex, config),
      file("blobs/sha256/" + sha256_of(manifest_bytes).hex, manifest_bytes),
      file("index.json", index.dump()),
      file("manifest.json", docker_manifest.dump()),
      file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"),
      file("repositories", R"({"busybox":{"latest":"x"}})"),
  };
  auto images = load(b(), tar(members));
  ASSERT_TRUE(images) << images.error().what();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].manifest_digest, sha256_of(manifest_bytes));
  EXPECT_EQ((*images)[0].config_digest, sha256_of(config));
  EXPECT_EQ((*images)[0].names, (std::vector<std::string>{"docker.io/library/busybox:latest",
                                                          "docker.io/library/extra:1"}));

  // Without index.json, manifest.json alone names blobs by path.
  members.erase(members.begin() + 5);
  auto from_manifest_json = load(b(), tar(members));
  ASSERT_TRUE(from_manifest_json) << from_manifest_json.error().what();
  EXPECT_EQ((*from_manifest_json)[0].config_digest, sha256_of(config));
}

// A multi-platform index of which the archive holds one platform: that one is the image.
TEST_F(ArchiveTest, LoadsThePlatformAnIndexHolds) {
  auto image = two_layer_image({});
  std::string manifest_bytes = a().read(image.manifest_digest, 1 << 20).value();
  json absent = descriptor(media_type::kOciManifest, "not here");
  absent["platform"] = {{"os", "linux"},
                        {"architecture", berth::image::host_platform().architecture}};
  json present = descriptor(media_type::kOciManifest, manifest_bytes);
  present["platform"] = {{"os", "linux"}, {"architecture", "s390x"}};
  std::string inner = json({{"schemaVersion", 2},
                            {"mediaType", media_type::kOciIndex},
                            {"manifests", {absent, present}}})
                          .dump();
  ASSERT_TRUE(a().put(inner));
  auto outer_entry = descriptor(media_type::kOciIndex, inner);
  outer_entry["annotations"] = {{"org.opencontainers.image.ref.name", "example.com/multi:2"}};
  std::vector<Member> members = {file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"),
                                 file("blobs/sha256/" + sha256_of(inner).hex, inner)};
  const auto blobs = a().list().value();
  for (const auto& d : blobs)
    members.push_back(file("blobs/sha256/" + d.hex, a().read(d, 1 << 20).value()));
  members.push_back(
      file("index.json", json({{"schemaVersion", 2}, {"manifests", {outer_entry}}}).dump()));
  auto images = load(b(), tar(members));
  ASSERT_TRUE(images) << images.error().what();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].manifest_digest, image.manifest_digest);
  EXPECT_EQ((*images)[0].names, std::vector<std::string>{"example.com/multi:2"});
}

// Layers above the in-memory limit go through a file in the store's ingest directory, which is
// left empty; docker load takes gzip-compressed layer files too, and so do we.
TEST_F(ArchiveTest, LoadsBigAndCompressedDockerLayers) {
  std::mt19937 gen(7);
  std::string big(3 << 20, '\0');
  for (auto& c : big) c = static_cast<char>(gen());
  std::string layer1 = tar({file("big", big)});
  std::vector<Member> small = {file("etc/motd", "hello\n")};
  std::string layer2 = tar(small, Filter::gzip);
  std::string config = config_json({sha256_of(layer1).str(), sha256_of(tar(small)).str()}, "big");
  json manifest = json::array({{{"Config", "config.json"},
                                {"RepoTags", {"big:1"}},
                                {"Layers", {"one/layer.tar", "two/layer.tar.gz"}}}});
  auto images =
      load(b(), tar({file("one/layer.tar", layer1), file("two/layer.tar.gz", layer2),
                     file("config.json", config), file("manifest.json", manifest.dump())}));
  ASSERT_TRUE(images) << images.error().what();
  auto m = manifest_of(b(), (*images)[0]);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].digest, sha256_of(layer1));
  EXPECT_EQ(m.layers[0].media_type, media_type::kOciLayer);
  EXPECT_EQ(m.layers[1].digest, sha256_of(layer2));
  EXPECT_EQ(m.layers[1].media_type, media_type::kOciLayerGzip);
  EXPECT_EQ(b().size(m.layers[0].digest).value(), layer1.size());
  EXPECT_TRUE(b().check().value().empty());
  auto ingest = berth::fs::read_file(dir_.at("b/ingest/" + sha256_of(layer1).hex));
  EXPECT_FALSE(ingest);

  // Saved by us in the docker format, the gzip layer goes out decompressed.
  auto again = save(b(), *images, ArchiveFormat::docker);
  TempDir other;
  auto c = ContentStore::open(other.at("c"));
  ASSERT_TRUE(c);
  auto reloaded = load(*c, again);
  ASSERT_TRUE(reloaded) << reloaded.error().what();
  EXPECT_EQ((*reloaded)[0].config_digest, (*images)[0].config_digest);
  EXPECT_EQ(manifest_of(*c, (*reloaded)[0]).layers[1].digest, sha256_of(tar(small)));
}

// `docker save | berth load`: the archive comes through a pipe, read once, never seeked.
TEST_F(ArchiveTest, LoadsFromAPipe) {
  auto image = two_layer_image({"docker.io/library/busybox:latest"});
  for (auto format : {ArchiveFormat::docker, ArchiveFormat::oci}) {
    std::string bytes = save(a(), {image}, format);
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    unique_fd read_end(fds[0]);
    std::thread writer([&bytes, fd = fds[1]] {
      size_t done = 0;
      while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::close(fd);
    });
    auto images = load_archive(b(), read_end.get());
    read_end.reset();
    writer.join();
    ASSERT_TRUE(images) << images.error().what();
    EXPECT_EQ((*images)[0].config_digest, image.config_digest);
  }
}

// Hostile and broken archives: one line each, nothing but verified blobs written.

TEST_F(ArchiveTest, RefusesMemberThatClimbsOut) {
  auto error = load_error(tar({file("../x", "boom"), file("manifest.json", "[]")}));
  EXPECT_NE(error.find("\"../x\""), std::string::npos) << error;
  EXPECT_NE(error.find(".."), std::string::npos) << error;
  EXPECT_EQ(blobs_in_b(), 0u);
}

TEST_F(ArchiveTest, RefusesAbsoluteMember) {
  auto error = load_error(tar({file("/etc/x", "boom"), file("manifest.json", "[]")}));
  EXPECT_NE(error.find("\"/etc/x\": absolute path"), std::string::npos) << error;
  EXPECT_EQ(blobs_in_b(), 0u);
}

TEST_F(ArchiveTest, RefusesSymlinkOutOfTheArchive) {
  std::string layer = tar({file("a", "b")});
  std::string config = config_json({sha256_of(layer).str()}, "x");
  json manifest = json::array({{{"Config", "c.json"}, {"Layers", {"l/layer.tar"}}}});
  auto error = load_error(tar({symlink("l/layer.tar", "../../etc/passwd"), file("c.json", config),
                               file("manifest.json", manifest.dump())}));
  EXPECT_NE(error.find("\"l/layer.tar\": symlink to \"../../etc/passwd\" leaves the archive"),
            std::string::npos)
      << error;
}

TEST_F(ArchiveTest, RefusesManifestNamingAMissingLayer) {
  std::string layer = tar({file("a", "b")});
  std::string config = config_json({sha256_of(layer).str()}, "x");
  json manifest = json::array({{{"Config", "c.json"}, {"Layers", {"gone/layer.tar"}}}});
  auto error = load_error(tar({file("c.json", config), file("manifest.json", manifest.dump())}));
  EXPECT_NE(error.find("\"gone/layer.tar\": not in the archive"), std::string::npos) << error;
  EXPECT_EQ(blobs_in_b(), 0u);
}

TEST_F(ArchiveTest, RefusesLayerWhoseDigestIsNotTheDiffId) {
  std::string layer = tar({file("a", "b")});
  std::string config = config_json({sha256_of("something else").str()}, "x");
  json manifest = json::array({{{"Config", "c.json"}, {"Layers", {"l1/layer.tar"}}}});
  auto error = load_error(tar({file("l1/layer.tar", layer), file("c.json", config),
                               file("manifest.json", manifest.dump())}));
  EXPECT_NE(error.find("layer \"l1/layer.tar\": content has digest " + sha256_of(layer).str()),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("diff_ids[0]"), std::string::npos) << error;
  EXPECT_EQ(blobs_in_b(), 0u);
}

TEST_F(ArchiveTest, RefusesOciBlobWhoseContentIsNotItsName) {
  std::string name = "blobs/sha256/" + sha256_of("real").hex;
  auto error = load_error(
      tar({file(name, "fake"), file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})")}));
  EXPECT_NE(error.find("digest mismatch"), std::string::npos) << error;
  EXPECT_NE(error.find(name), std::string::npos) << error;
  EXPECT_EQ(blobs_in_b(), 0u);
}

TEST_F(ArchiveTest, RefusesIndexNamingAMissingManifest) {
  json index = {{"schemaVersion", 2},
                {"manifests",
                 {{{"mediaType", media_type::kOciManifest},
                   {"digest", sha256_of("nothing").str()},
                   {"size", 7}}}}};
  auto error = load_error(tar(
      {file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"), file("index.json", index.dump())}));
  EXPECT_NE(error.find(sha256_of("nothing").str() + ": not in the archive"), std::string::npos)
      << error;
}

// A manifest.json of 100 MB, sparse: the reader stops at the limit, long before the end.
TEST_F(ArchiveTest, RefusesHugeManifestJson) {
  // libarchive writes the member whole (zeros for the data not given); the header is kept.
  std::string header;
  archive* ar = archive_write_new();
  archive_write_set_format_ustar(ar);
  auto keep_header = [](archive*, void* out, const void* data, size_t size) -> la_ssize_t {
    auto* h = static_cast<std::string*>(out);
    if (h->size() < 512) h->append(static_cast<const char*>(data), std::min<size_t>(size, 512));
    return static_cast<la_ssize_t>(size);
  };
  ASSERT_EQ(archive_write_open(ar, &header, nullptr, keep_header, nullptr), ARCHIVE_OK);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "manifest.json");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  const int64_t size = 100 << 20;
  archive_entry_set_size(e, size);
  ASSERT_EQ(archive_write_header(ar, e), ARCHIVE_OK);
  archive_entry_free(e);
  archive_write_close(ar);
  archive_write_free(ar);
  header.resize(512);
  ASSERT_EQ(header.size(), 512u);
  auto fd = memfd_with(header);
  ASSERT_EQ(::ftruncate(fd.get(), 512 + size + 1024), 0);
  auto images = load_archive(b(), fd.get());
  ASSERT_FALSE(images);
  EXPECT_NE(images.error().what().find("\"manifest.json\": larger than the limit"),
            std::string::npos)
      << images.error().what();
  EXPECT_LT(::lseek(fd.get(), 0, SEEK_CUR), 16 << 20);
}

TEST_F(ArchiveTest, RefusesTruncatedArchive) {
  auto bytes =
      save(a(), {two_layer_image({"docker.io/library/busybox:latest"})}, ArchiveFormat::docker);
  auto error = load_error(bytes.substr(0, bytes.size() / 2));
  EXPECT_NE(error.find("load archive"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_EQ(blobs_in_b(), 0u);
}

TEST_F(ArchiveTest, RefusesRandomBytes) {
  std::mt19937 gen(42);
  std::string bytes(65536, '\0');
  for (auto& c : bytes) c = static_cast<char>(gen());
  auto error = load_error(bytes);
  EXPECT_NE(error.find("load archive: read archive"), std::string::npos) << error;
  EXPECT_EQ(blobs_in_b(), 0u);
}

TEST_F(ArchiveTest, RefusesTarThatIsNoImageArchive) {
  auto error = load_error(tar({file("hello.txt", "hi")}));
  EXPECT_NE(error.find("no manifest.json and no index.json"), std::string::npos) << error;
  EXPECT_EQ(blobs_in_b(), 0u);
}

// skopeo reads and writes docker-archive and oci-archive files offline: an oracle for both.

bool have_skopeo() {
  return berth::subprocess::capture({"skopeo", "--version"}).has_value();
}

berth::Result<std::string> skopeo(std::vector<std::string> args) {
  args.insert(args.begin(), {"skopeo", "--insecure-policy"});
  return berth::subprocess::capture(args);
}

TEST_F(ArchiveTest, SkopeoConvertsOurOciArchiveAndWeLoadItsDockerArchive) {
  if (!have_skopeo()) GTEST_SKIP() << "skopeo is not installed";
  auto image = two_layer_image({"docker.io/library/busybox:latest"});
  ASSERT_TRUE(berth::fs::write_file_atomic(dir_.at("ours.tar"),
                                           save(a(), {image}, ArchiveFormat::oci), 0644));
  auto copied = skopeo({"copy", "--quiet", "oci-archive:" + dir_.at("ours.tar"),
                        "docker-archive:" + dir_.at("theirs.tar") + ":docker.io/library/test:1"});
  ASSERT_TRUE(copied) << copied.error().what();
  unique_fd fd(::open(dir_.at("theirs.tar").c_str(), O_RDONLY | O_CLOEXEC));
  auto images = load_archive(b(), fd.get());
  ASSERT_TRUE(images) << images.error().what();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].config_digest, image.config_digest);
  EXPECT_EQ((*images)[0].names, std::vector<std::string>{"docker.io/library/test:1"});
}

TEST_F(ArchiveTest, SkopeoReadsOurDockerArchiveWithTheSameConfig) {
  if (!have_skopeo()) GTEST_SKIP() << "skopeo is not installed";
  auto image = two_layer_image({"docker.io/library/busybox:latest"});
  ASSERT_TRUE(berth::fs::write_file_atomic(dir_.at("ours.tar"),
                                           save(a(), {image}, ArchiveFormat::docker), 0644));
  auto raw = skopeo({"inspect", "--raw", "docker-archive:" + dir_.at("ours.tar")});
  ASSERT_TRUE(raw) << raw.error().what();
  auto manifest = json::parse(*raw);
  EXPECT_EQ(manifest["config"]["digest"], image.config_digest.str());
  EXPECT_EQ(manifest["layers"].size(), 2u);

  // And back through an OCI archive of skopeo's.
  auto copied = skopeo({"copy", "--quiet", "docker-archive:" + dir_.at("ours.tar"),
                        "oci-archive:" + dir_.at("theirs.tar") + ":latest"});
  ASSERT_TRUE(copied) << copied.error().what();
  unique_fd fd(::open(dir_.at("theirs.tar").c_str(), O_RDONLY | O_CLOEXEC));
  auto images = load_archive(b(), fd.get());
  ASSERT_TRUE(images) << images.error().what();
  ASSERT_EQ(images->size(), 1u);
  // skopeo rewrites a Docker config as an OCI one on the way (same document, keys reordered).
  auto theirs = b().read((*images)[0].config_digest, 1 << 20);
  ASSERT_TRUE(theirs) << theirs.error().what();
  EXPECT_EQ(json::parse(*theirs), json::parse(a().read(image.config_digest, 1 << 20).value()));
}

// podman loads what we save and saves what we load, in a private vfs store (no daemon, no
// network).
class PodmanOracle {
 public:
  explicit PodmanOracle(const std::string& dir) : dir_(dir) {}
  berth::Result<std::string> run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"podman", "--root", dir_ + "/root", "--runroot", dir_ + "/run",
                               "--storage-driver", "vfs", "--events-backend", "none"});
    return berth::subprocess::capture(args);
  }

 private:
  std::string dir_;
};

TEST_F(ArchiveTest, PodmanLoadsOurArchivesAndWeLoadItsDockerArchive) {
  PodmanOracle podman(dir_.at("podman"));
  if (auto probe = podman.run({"images"}); !probe)
    GTEST_SKIP() << "podman does not run here: " << probe.error().what();
  auto image = two_layer_image({"docker.io/library/busybox:latest"});
  // Its image id is the config's digest. (podman names a short RepoTag "localhost/busybox",
  // where docker load says docker.io/library/busybox: ids compare, names do not.)
  for (auto format : {ArchiveFormat::docker, ArchiveFormat::oci}) {
    SCOPED_TRACE(format == ArchiveFormat::docker ? "docker" : "oci");
    ASSERT_TRUE(
        berth::fs::write_file_atomic(dir_.at("ours.tar"), save(a(), {image}, format), 0644));
    auto loaded = podman.run({"load", "-q", "-i", dir_.at("ours.tar")});
    ASSERT_TRUE(loaded) << loaded.error().what();
    auto ids = podman.run({"images", "-q", "--no-trunc"});
    ASSERT_TRUE(ids) << ids.error().what();
    EXPECT_EQ(*ids, image.config_digest.str() + "\n");
    ASSERT_TRUE(podman.run({"rmi", "-a", "-f"}));
  }
  ASSERT_TRUE(podman.run({"load", "-q", "-i", dir_.at("ours.tar")}));
  ASSERT_TRUE(podman.run({"tag", image.config_digest.hex, "docker.io/library/busybox:latest"}));
  auto saved = podman.run({"save", "-q", "--format", "docker-archive", "-o", dir_.at("theirs.tar"),
                           "docker.io/library/busybox:latest"});
  ASSERT_TRUE(saved) << saved.error().what();
  unique_fd fd(::open(dir_.at("theirs.tar").c_str(), O_RDONLY | O_CLOEXEC));
  auto images = load_archive(b(), fd.get());
  ASSERT_TRUE(images) << images.error().what();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].config_digest, image.config_digest);
  EXPECT_EQ((*images)[0].names, std::vector<std::string>{"docker.io/library/busybox:latest"});
}

}  // namespace
