#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/archive.hpp"
#include "image/content_store.hpp"
#include "image/dockerfile_changes.hpp"
#include "image/image_config.hpp"
#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "tar_fixtures.hpp"

namespace {

using berth::image::apply_changes;
using berth::image::ContentStore;
using berth::image::import_rootfs;
using berth::image::ImportOptions;
using berth::image::Manifest;
using berth::image::sha256_of;
namespace media_type = berth::image::media_type;
using nlohmann::json;
using tar_fixtures::directory;
using tar_fixtures::file;
using tar_fixtures::Filter;
using tar_fixtures::memfd_with;
using tar_fixtures::tar;
using tar_fixtures::TempDir;

json changed(const std::vector<std::string>& changes, json config = json::object()) {
  auto status = apply_changes(config, changes);
  EXPECT_TRUE(status) << status.error().what();
  return config;
}

std::string change_error(const std::vector<std::string>& changes) {
  json config = json::object();
  auto status = apply_changes(config, changes);
  EXPECT_FALSE(status);
  return status ? "" : status.error().what();
}

TEST(DockerfileChanges, CmdAndEntrypointTakeJsonAndShellForms) {
  EXPECT_EQ(changed({"CMD [\"/bin/sh\", \"-c\", \"echo hi\"]"})["Cmd"],
            json({"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(changed({"cmd echo $HOME"})["Cmd"], json({"/bin/sh", "-c", "echo $HOME"}));
  EXPECT_EQ(changed({"ENTRYPOINT [\"/app\"]"})["Entrypoint"], json({"/app"}));
  EXPECT_EQ(changed({"ENTRYPOINT /app --flag"})["Entrypoint"],
            json({"/bin/sh", "-c", "/app --flag"}));
  // Not valid JSON: the shell form, as Docker reads it.
  EXPECT_EQ(changed({"CMD [oops"})["Cmd"], json({"/bin/sh", "-c", "[oops"}));
  // A new entrypoint drops the image's CMD, unless the changes set one.
  EXPECT_TRUE(changed({"ENTRYPOINT [\"/e\"]"}, {{"Cmd", {"old"}}})["Cmd"].is_null());
  EXPECT_EQ(changed({"CMD [\"c\"]", "ENTRYPOINT [\"/e\"]"})["Cmd"], json({"c"}));
}

TEST(DockerfileChanges, EnvAndLabelPairsQuotesAndExpansion) {
  auto c =
      changed({"ENV A=1 B=\"two words\" C='$A' D=\\$A", "ENV E=${A}x F=${NOPE:-dflt} G=${A:+set}",
               "ENV legacy value with  spaces", "ENV A=3"});
  EXPECT_EQ(c["Env"], json({"A=3", "B=two words", "C=$A", "D=$A", "E=1x", "F=dflt", "G=set",
                            "legacy=value with  spaces"}));
  auto l = changed({"LABEL a=b \"c d\"=\"e f\" version=1.0", "LABEL a=z"});
  EXPECT_EQ(l["Labels"], json({{"a", "z"}, {"c d", "e f"}, {"version", "1.0"}}));
}

TEST(DockerfileChanges, ExposeVolumeUserWorkdirStopsignal) {
  auto c = changed({"EXPOSE 80 53/udp 8000-8002", "VOLUME [\"/data\", \"/logs\"]", "VOLUME /cache",
                    "ENV HOME=/home/app", "USER app:app", "WORKDIR $HOME", "WORKDIR sub/../src",
                    "STOPSIGNAL SIGINT"});
  EXPECT_EQ(c["ExposedPorts"], json({{"80/tcp", json::object()},
                                     {"53/udp", json::object()},
                                     {"8000/tcp", json::object()},
                                     {"8001/tcp", json::object()},
                                     {"8002/tcp", json::object()}}));
  EXPECT_EQ(
      c["Volumes"],
      json({{"/data", json::object()}, {"/logs", json::object()}, {"/cache", json::object()}}));
  EXPECT_EQ(c["User"], "app:app");
  EXPECT_EQ(c["WorkingDir"], "/home/app/src");
  EXPECT_EQ(c["StopSignal"], "SIGINT");
}

TEST(DockerfileChanges, RefusesWhatDockerImportRefuses) {
  EXPECT_NE(change_error({"RUN rm -rf /"}).find("change \"RUN rm -rf /\": RUN is not supported"),
            std::string::npos);
  EXPECT_NE(change_error({"EXPOSE http"}).find("invalid port \"http\""), std::string::npos);
  EXPECT_NE(change_error({"EXPOSE 80/xyz"}).find("invalid protocol"), std::string::npos);
  EXPECT_NE(change_error({"ENV"}).find("ENV needs an argument"), std::string::npos);
  EXPECT_NE(change_error({"ENV A=1 B"}).find("\"B\" is not key=value"), std::string::npos);
  EXPECT_NE(change_error({"ENV A=\"open"}).find("unterminated quote"), std::string::npos);
  EXPECT_NE(change_error({"STOPSIGNAL SIG TERM"}).find("invalid signal"), std::string::npos);
}

class ImportRootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ContentStore::open(dir_.at("store"));
    ASSERT_TRUE(s);
    store_.emplace(std::move(*s));
  }
  const ContentStore& store() { return *store_; }

  TempDir dir_;
  std::optional<ContentStore> store_;
};

std::vector<tar_fixtures::Member> rootfs() {
  return {directory("bin"), file("bin/sh", std::string(100000, 'x')),
          file("etc/hostname", "box\n")};
}

TEST_F(ImportRootfsTest, MakesOneLayerImageWithChanges) {
  std::string plain = tar(rootfs());
  auto fd = memfd_with(tar(rootfs(), Filter::gzip));
  ImportOptions options;
  options.message = "imported from test";
  options.changes = {
      "CMD [\"/bin/sh\"]",   "ENV PATH=/usr/bin:/bin", "WORKDIR /srv", "EXPOSE 8080",
      "USER 1000",           "LABEL origin=test",      "VOLUME /data", "STOPSIGNAL SIGTERM",
      "ENTRYPOINT /entry.sh"};
  options.platform = {"linux", "arm64", "v8", "", {}};
  auto image = import_rootfs(store(), fd.get(), options);
  ASSERT_TRUE(image) << image.error().what();
  EXPECT_EQ(image->manifest_media_type, media_type::kOciManifest);
  EXPECT_TRUE(image->names.empty());

  auto doc = berth::image::parse_manifest(store().read(image->manifest_digest, 1 << 20).value());
  ASSERT_TRUE(doc) << doc.error().what();
  const auto& m = std::get<Manifest>(*doc);
  EXPECT_EQ(m.config.digest, image->config_digest);
  EXPECT_EQ(m.config.media_type, media_type::kOciConfig);
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].media_type, media_type::kOciLayerGzip);
  EXPECT_TRUE(store().has(m.layers[0].digest));
  EXPECT_EQ(static_cast<uint64_t>(m.layers[0].size), store().size(m.layers[0].digest).value());

  auto config =
      berth::image::parse_image_config(store().read(image->config_digest, 1 << 20).value());
  ASSERT_TRUE(config) << config.error().what();
  ASSERT_EQ(config->rootfs.diff_ids.size(), 1u);
  EXPECT_EQ(config->rootfs.diff_ids[0], sha256_of(plain));
  EXPECT_EQ(config->architecture, "arm64");
  EXPECT_EQ(config->variant, "v8");
  EXPECT_EQ(config->os, "linux");
  EXPECT_FALSE(config->created.empty());
  ASSERT_EQ(config->history.size(), 1u);
  EXPECT_EQ(config->history[0].comment, "imported from test");
  const auto& c = config->config;
  EXPECT_EQ(c.cmd, std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ(c.entrypoint, (std::vector<std::string>{"/bin/sh", "-c", "/entry.sh"}));
  EXPECT_EQ(c.env, std::vector<std::string>{"PATH=/usr/bin:/bin"});
  EXPECT_EQ(c.working_dir, "/srv");
  EXPECT_EQ(c.exposed_ports, std::vector<std::string>{"8080/tcp"});
  EXPECT_EQ(c.user, "1000");
  EXPECT_EQ(c.labels.at("origin"), "test");
  EXPECT_EQ(c.volumes, std::vector<std::string>{"/data"});
  EXPECT_EQ(c.stop_signal, "SIGTERM");
  EXPECT_TRUE(store().check().value().empty());
}

TEST_F(ImportRootfsTest, PlainTarIsStoredAsItsDiffId) {
  std::string plain = tar(rootfs());
  auto fd = memfd_with(plain);
  auto image = import_rootfs(store(), fd.get(), {});
  ASSERT_TRUE(image) << image.error().what();
  auto m = std::get<Manifest>(
      berth::image::parse_manifest(store().read(image->manifest_digest, 1 << 20).value()).value());
  EXPECT_EQ(m.layers[0].media_type, media_type::kOciLayer);
  EXPECT_EQ(m.layers[0].digest, sha256_of(plain));
  EXPECT_EQ(store().read(m.layers[0].digest, 1 << 20).value(), plain);
  auto config =
      berth::image::parse_image_config(store().read(image->config_digest, 1 << 20).value());
  EXPECT_EQ(config->architecture, berth::image::host_platform().architecture);
}

TEST_F(ImportRootfsTest, XzTarIsStoredDecompressed) {
  if (!tar_fixtures::filter_available(Filter::xz)) GTEST_SKIP() << "libarchive without xz";
  std::string plain = tar(rootfs());
  auto fd = memfd_with(tar(rootfs(), Filter::xz));
  auto image = import_rootfs(store(), fd.get(), {});
  ASSERT_TRUE(image) << image.error().what();
  auto m = std::get<Manifest>(
      berth::image::parse_manifest(store().read(image->manifest_digest, 1 << 20).value()).value());
  EXPECT_EQ(m.layers[0].media_type, media_type::kOciLayer);
  EXPECT_EQ(m.layers[0].digest, sha256_of(plain));
}

TEST_F(ImportRootfsTest, RefusesWhatIsNotATar) {
  auto fd = memfd_with(std::string(4096, 'j'));
  auto image = import_rootfs(store(), fd.get(), {});
  ASSERT_FALSE(image);
  EXPECT_NE(image.error().what().find("import: read tarball"), std::string::npos)
      << image.error().what();
  EXPECT_TRUE(store().list().value().empty());
}

TEST_F(ImportRootfsTest, RefusesTruncatedTar) {
  std::string plain = tar(rootfs());
  auto fd = memfd_with(plain.substr(0, plain.size() / 2));
  auto image = import_rootfs(store(), fd.get(), {});
  ASSERT_FALSE(image);
  EXPECT_NE(image.error().what().find("import: read tarball"), std::string::npos)
      << image.error().what();
  EXPECT_TRUE(store().list().value().empty());
}

TEST_F(ImportRootfsTest, BadChangeWritesNothing) {
  auto fd = memfd_with(tar(rootfs()));
  ImportOptions options;
  options.changes = {"FROM scratch"};
  auto image = import_rootfs(store(), fd.get(), options);
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().what(),
            "import: change \"FROM scratch\": FROM is not supported (CMD, ENTRYPOINT, ENV, EXPOSE, "
            "LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)");
  EXPECT_TRUE(store().list().value().empty());
}

}  // namespace
