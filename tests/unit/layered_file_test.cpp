#include "image/layered_file.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.hpp"
#include "image_fixture.hpp"

namespace {

using berth::image::read_layered_file;
using berth_test::TempDir;

// Three layers under one temp dir, "top", "mid" and "low", given topmost first.
struct Layers {
  TempDir tmp;
  std::vector<std::string> dirs;
  Layers() {
    for (const char* name : {"top", "mid", "low"}) {
      dirs.push_back(tmp.path + "/" + name);
      ::mkdir(dirs.back().c_str(), 0755);
    }
  }
  void write(size_t layer, const std::string& path, const std::string& text) {
    std::string full = dirs[layer] + path;
    ::mkdir(full.substr(0, full.rfind('/')).c_str(), 0755);
    ASSERT_TRUE(berth::fs::write_file_atomic(full, text, 0644));
  }
  void mkdir(size_t layer, const std::string& path) { ::mkdir((dirs[layer] + path).c_str(), 0755); }
  bool set_xattr(size_t layer, const std::string& path, const char* key, const char* value) {
    return ::lsetxattr((dirs[layer] + path).c_str(), key, value, std::strlen(value), 0) == 0;
  }
};

constexpr auto kUserXattrs = berth::image::WhiteoutFormat::overlay_userxattr;

std::optional<std::string> read(const Layers& l, const std::string& path) {
  auto r = read_layered_file(l.dirs, path, kUserXattrs);
  EXPECT_TRUE(r) << r.error().what();
  return r ? *r : std::nullopt;
}

TEST(LayeredFile, TheTopmostLayerWithTheFileGivesIt) {
  Layers l;
  l.write(2, "/etc/passwd", "low");
  EXPECT_EQ(read(l, "/etc/passwd"), "low");
  l.write(1, "/etc/passwd", "mid");
  EXPECT_EQ(read(l, "/etc/passwd"), "mid");
  l.mkdir(0, "/etc");  // a directory of its own without the file hides nothing
  EXPECT_EQ(read(l, "/etc/passwd"), "mid");
  EXPECT_EQ(read(l, "/etc/group"), std::nullopt);
}

TEST(LayeredFile, AWhiteoutFileHidesTheLayersBelow) {
  Layers l;
  l.write(2, "/etc/passwd", "low");
  l.write(0, "/etc/passwd", "");
  if (!l.set_xattr(0, "/etc/passwd", "user.overlay.whiteout", "y"))
    GTEST_SKIP() << "no user xattrs on " << l.tmp.path;
  EXPECT_EQ(read(l, "/etc/passwd"), std::nullopt);
}

TEST(LayeredFile, ACharDeviceWhiteoutOfADirectoryOnTheWayHidesIt) {
  if (::geteuid() != 0) GTEST_SKIP() << "mknod of a 0/0 whiteout needs root";
  Layers l;
  l.write(2, "/etc/passwd", "low");
  ASSERT_EQ(::mknod((l.dirs[1] + "/etc").c_str(), S_IFCHR | 0000, 0), 0);
  EXPECT_EQ(read(l, "/etc/passwd"), std::nullopt);
}

TEST(LayeredFile, OnlyTheXattrsOfTheLayersFormatCount) {
  Layers l;
  l.write(1, "/etc/passwd", "mid");
  l.write(0, "/etc/passwd", "");
  if (!l.set_xattr(0, "/etc/passwd", "user.overlay.whiteout", "y"))
    GTEST_SKIP() << "no user xattrs on " << l.tmp.path;
  auto r = read_layered_file(l.dirs, "/etc/passwd", berth::image::WhiteoutFormat::overlay_root);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(*r, "");  // to a root overlay it is an empty file
}

TEST(LayeredFile, AnOpaqueDirectoryHidesTheLayersBelow) {
  Layers l;
  l.write(2, "/etc/passwd", "low");
  l.mkdir(1, "/etc");
  if (!l.set_xattr(1, "/etc", "user.overlay.opaque", "y"))
    GTEST_SKIP() << "no user xattrs on " << l.tmp.path;
  EXPECT_EQ(read(l, "/etc/passwd"), std::nullopt);
  l.write(0, "/etc/passwd", "top");  // above the opaque directory it is seen
  EXPECT_EQ(read(l, "/etc/passwd"), "top");
}

TEST(LayeredFile, AFileOrSymlinkOnTheWayOrAsTheFileReadsAsAbsent) {
  Layers l;
  l.write(2, "/etc/passwd", "low");
  l.write(1, "/etc", "not a directory");
  EXPECT_EQ(read(l, "/etc/passwd"), std::nullopt);

  Layers s;
  s.write(0, "/etc/shadow", "secret");
  ASSERT_EQ(::symlink("shadow", (s.dirs[0] + "/etc/passwd").c_str()), 0);
  EXPECT_EQ(read(s, "/etc/passwd"), std::nullopt);
  ASSERT_EQ(::symlink("/", (s.dirs[0] + "/usr").c_str()), 0);
  EXPECT_EQ(read(s, "/usr/etc/shadow"), std::nullopt);
}

TEST(LayeredFile, OnlyAbsolutePlainPaths) {
  Layers l;
  for (const char* bad : {"etc/passwd", "/etc/../etc/passwd", "/"}) {
    auto r = read_layered_file(l.dirs, bad, kUserXattrs);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().what().find("read from image layers"), std::string::npos);
  }
}

}  // namespace
