#include "image/layer_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "image/unpack.hpp"
#include "image_fixture.hpp"

namespace {

using namespace berth_test;
using berth::image::ContentStore;
using berth::image::LayerStore;
using berth::image::UnpackOptions;
using berth::image::WhiteoutFormat;

UnpackOptions native() {
  UnpackOptions o;
  o.keep_ownership = ::geteuid() == 0;
  o.whiteouts = ::geteuid() == 0 ? WhiteoutFormat::overlay_root : WhiteoutFormat::overlay_userxattr;
  return o;
}

struct Stores {
  TempDir dir;
  ContentStore content = *ContentStore::open(dir.at("content"));
  LayerStore layers = *LayerStore::open(dir.path, native());

  std::vector<std::string> layer_dir_entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir.at("layers")))
      out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::string read_all(const std::string& path) {
  auto r = berth::fs::read_file(path);
  return r ? *r : "<" + r.error().what() + ">";
}

TEST(LayerStore, UnpacksOnceByChainId) {
  Stores s;
  auto layer =
      put_layer(s.content, {dir("etc"), file("etc/hostname", "box\n"), file("bin", "12345")});
  Digest chain = layer.diff_id;
  EXPECT_FALSE(s.layers.has(chain));
  auto first = s.layers.ensure(chain, layer.blob, layer.diff_id);
  ASSERT_TRUE(first) << first.error().what();
  EXPECT_TRUE(*first);
  EXPECT_TRUE(s.layers.has(chain));
  EXPECT_EQ(s.layers.diff_path(chain), s.dir.at("layers/" + chain.hex + "/diff"));
  EXPECT_EQ(read_all(s.layers.diff_path(chain) + "/etc/hostname"), "box\n");
  auto again = s.layers.ensure(chain, layer.blob, layer.diff_id);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto size = s.layers.size(chain);
  ASSERT_TRUE(size) << size.error().what();
  EXPECT_EQ(*size, 9u);
  auto list = s.layers.list();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front(), chain);
  EXPECT_EQ(s.layer_dir_entries(), std::vector<std::string>{chain.hex});
}

TEST(LayerStore, SizeIsRecomputedWithoutItsCacheAndCountsHardLinksOnce) {
  Stores s;
  auto layer = put_layer(s.content, {file("a", "1234"), hardlink("b", "a"), file("c", "56")});
  ASSERT_TRUE(s.layers.ensure(layer.diff_id, layer.blob, layer.diff_id));
  ASSERT_EQ(::unlink(s.dir.at("layers/" + layer.diff_id.hex + "/size").c_str()), 0);
  auto size = s.layers.size(layer.diff_id);
  ASSERT_TRUE(size) << size.error().what();
  EXPECT_EQ(*size, 6u);
  EXPECT_EQ(read_all(s.dir.at("layers/" + layer.diff_id.hex + "/size")), "6\n");
}

TEST(LayerStore, AcceptsPlainAndZstdLayers) {
  Stores s;
  for (auto c : {Compression::none, Compression::zstd}) {
    auto layer = put_layer(s.content, {file(c == Compression::none ? "plain" : "zstd", "x")}, c);
    auto r = s.layers.ensure(layer.diff_id, layer.blob, layer.diff_id);
    ASSERT_TRUE(r) << r.error().what();
  }
  EXPECT_EQ(s.layers.list()->size(), 2u);
}

TEST(LayerStore, RefusesAWrongDiffIdNamingBothAndLeavesNothing) {
  Stores s;
  auto layer = put_layer(s.content, {file("a", "1")});
  auto other = put_layer(s.content, {file("b", "2")});
  auto r = s.layers.ensure(other.diff_id, layer.blob, other.diff_id);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find(layer.diff_id.str()), std::string::npos) << r.error().what();
  EXPECT_NE(r.error().what().find(other.diff_id.str()), std::string::npos) << r.error().what();
  EXPECT_FALSE(s.layers.has(other.diff_id));
  EXPECT_TRUE(s.layer_dir_entries().empty());
}

TEST(LayerStore, RefusesABlobThatIsNotWhatItsNameSays) {
  Stores s;
  auto layer = put_layer(s.content, {file("a", "1")});
  auto other = tar_bytes({file("a", "2")});
  std::string path = s.content.path(layer.blob);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  ASSERT_TRUE(berth::fs::write_file_atomic(path, other, 0444));
  auto r = s.layers.ensure(layer.diff_id, layer.blob, layer.diff_id);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("content has digest"), std::string::npos) << r.error().what();
  EXPECT_TRUE(s.layer_dir_entries().empty());
}

TEST(LayerStore, MissingBlobIsAnError) {
  Stores s;
  auto layer = put_layer(s.content, {file("a", "1")});
  ASSERT_TRUE(s.content.remove(layer.blob));
  auto r = s.layers.ensure(layer.diff_id, layer.blob, layer.diff_id);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find(layer.blob.str()), std::string::npos) << r.error().what();
  EXPECT_TRUE(s.layer_dir_entries().empty());
}

TEST(LayerStore, HostileLayerLeavesNothing) {
  Stores s;
  auto layer = put_layer(s.content, {file("ok", "1"), file("../../escape", "x")});
  auto r = s.layers.ensure(layer.diff_id, layer.blob, layer.diff_id);
  ASSERT_FALSE(r);
  EXPECT_TRUE(s.layer_dir_entries().empty());
}

TEST(LayerStore, RemoveTakesReadOnlyTrees) {
  Stores s;
  auto layer = put_layer(s.content, {dir("ro", 0555), file("ro/f", "1", 0444), dir("none", 0)});
  ASSERT_TRUE(s.layers.ensure(layer.diff_id, layer.blob, layer.diff_id));
  auto r = s.layers.remove(layer.diff_id);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_FALSE(s.layers.has(layer.diff_id));
  EXPECT_TRUE(s.layer_dir_entries().empty());
  auto missing = s.layers.remove(layer.diff_id);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().errno_value, ENOENT);
}

TEST(LayerStore, WhiteoutsInTheStoresFormat) {
  Stores s;
  auto layer = put_layer(s.content, {whiteout("gone"), dir("d"), opaque("d")});
  ASSERT_TRUE(s.layers.ensure(layer.diff_id, layer.blob, layer.diff_id));
  std::string diff = s.layers.diff_path(layer.diff_id);
  struct stat st;
  ASSERT_EQ(::lstat((diff + "/gone").c_str(), &st), 0);
  char value[8];
  const char* key = ::geteuid() == 0 ? "trusted.overlay.opaque" : "user.overlay.opaque";
  ASSERT_EQ(::lgetxattr((diff + "/d").c_str(), key, value, sizeof(value)), 1);
  EXPECT_EQ(value[0], 'y');
}

TEST(LayerStore, ConcurrentUnpacksOfOneLayerFromTwoProcesses) {
  Stores s;
  std::vector<berth_test::Entry> entries;
  for (int i = 0; i < 200; ++i)
    entries.push_back(file("f" + std::to_string(i), std::string(4096, 'x')));
  auto layer = put_layer(s.content, entries);
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  pid_t children[2];
  for (auto& child : children) {
    child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(gate[1]);
      char c;
      (void)!::read(gate[0], &c, 1);
      auto layers = LayerStore::open(s.dir.path, native());
      if (!layers) ::_exit(2);
      auto r = layers->ensure(layer.diff_id, layer.blob, layer.diff_id);
      ::_exit(r ? (*r ? 0 : 1) : 3);
    }
  }
  ::close(gate[0]);
  ::close(gate[1]);
  int unpacked = 0;
  for (auto child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_LE(WEXITSTATUS(status), 1) << "child failed";
    if (WEXITSTATUS(status) == 0) ++unpacked;
  }
  EXPECT_GE(unpacked, 1);
  EXPECT_EQ(s.layer_dir_entries(), std::vector<std::string>{layer.diff_id.hex});
  EXPECT_EQ(*s.layers.size(layer.diff_id), 200u * 4096u);
}

TEST(LayerStore, UnpackReportsBothDigests) {
  TempDir dir;
  for (auto c : {Compression::none, Compression::gzip, Compression::zstd}) {
    std::string blob = tar_bytes({file("a", "hello")}, c);
    std::string path = dir.at("blob");
    ASSERT_TRUE(berth::fs::write_file_atomic(path, blob, 0600));
    std::string target = dir.at("out" + std::to_string(static_cast<int>(c)));
    ASSERT_EQ(::mkdir(target.c_str(), 0755), 0);
    berth::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    auto opts = native();
    opts.digests = true;
    auto stats = berth::image::unpack_layer(fd.get(), target, opts);
    ASSERT_TRUE(stats) << stats.error().what();
    EXPECT_EQ(stats->blob_digest, berth::image::sha256_of(blob));
    EXPECT_EQ(stats->diff_id, berth::image::sha256_of(decompressed(blob)));
    EXPECT_EQ(read_all(target + "/a"), "hello");
  }
}

TEST(LayerStore, TruncatedGzipWithDigestsNamesTheEntry) {
  TempDir dir;
  std::string noise(1 << 18, '\0');
  uint64_t x = 88172645463325252ull;
  for (auto& c : noise) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  std::string blob = tar_bytes({file("first", "1"), file("second", noise)});
  blob.resize(blob.size() / 2);
  std::string path = dir.at("blob");
  ASSERT_TRUE(berth::fs::write_file_atomic(path, blob, 0600));
  ASSERT_EQ(::mkdir(dir.at("out").c_str(), 0755), 0);
  berth::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  auto opts = native();
  opts.digests = true;
  auto stats = berth::image::unpack_layer(fd.get(), dir.at("out"), opts);
  ASSERT_FALSE(stats);
  EXPECT_TRUE(stats.error().what().starts_with("truncated layer at entry \"second\": "))
      << stats.error().what();
}

}  // namespace
