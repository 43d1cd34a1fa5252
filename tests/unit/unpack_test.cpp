#include "image/unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"
#include "image/whiteouts.hpp"

namespace {

using berth::unique_fd;
using berth::image::unpack_layer;
using berth::image::UnpackOptions;
using berth::image::WhiteoutFormat;
namespace fs = berth::fs;

enum class Filter { plain, gzip, zstd };

struct TarEntry {
  std::string name;
  unsigned type = AE_IFREG;
  mode_t perm = 0644;
  std::string data;
  std::string symlink;
  std::string hardlink;
  time_t mtime = 1700000000;
  long mtime_nsec = 0;
  int64_t uid = 0;
  int64_t gid = 0;
  unsigned rdev_major = 0;
  unsigned rdev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

TarEntry file(std::string name, std::string data, mode_t perm = 0644) {
  TarEntry e;
  e.name = std::move(name);
  e.data = std::move(data);
  e.perm = perm;
  return e;
}
TarEntry dir(std::string name, mode_t perm = 0755) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFDIR;
  e.perm = perm;
  return e;
}
TarEntry symlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.type = AE_IFLNK;
  e.perm = 0777;
  e.symlink = std::move(target);
  return e;
}
TarEntry hardlink(std::string name, std::string target) {
  TarEntry e;
  e.name = std::move(name);
  e.hardlink = std::move(target);
  return e;
}

bool filter_available(Filter filter) {
  if (filter != Filter::zstd) return true;
  archive* a = archive_write_new();
  bool ok = archive_write_add_filter_zstd(a) == ARCHIVE_OK;
  archive_write_free(a);
  return ok;
}

// A tar stream in a memfd, positioned at its start.
unique_fd make_tar(const std::vector<TarEntry>& entries, Filter filter = Filter::plain) {
  unique_fd fd(::memfd_create("layer", MFD_CLOEXEC));
  EXPECT_TRUE(fd.valid());
  archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  if (filter == Filter::gzip) {
    EXPECT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
  }
  if (filter == Filter::zstd) {
    EXPECT_EQ(archive_write_add_filter_zstd(a), ARCHIVE_OK);
  }
  EXPECT_EQ(archive_write_open_fd(a, fd.get()), ARCHIVE_OK);
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.perm);
    archive_entry_set_mtime(e, t.mtime, t.mtime_nsec);
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    if (t.type == AE_IFREG && t.hardlink.empty()) archive_entry_set_size(e, t.data.size());
    if (!t.symlink.empty()) archive_entry_set_symlink(e, t.symlink.c_str());
    if (!t.hardlink.empty()) archive_entry_set_hardlink(e, t.hardlink.c_str());
    if (t.type == AE_IFCHR || t.type == AE_IFBLK) {
      archive_entry_set_rdevmajor(e, t.rdev_major);
      archive_entry_set_rdevminor(e, t.rdev_minor);
    }
    for (const auto& [k, v] : t.xattrs)
      archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    EXPECT_GE(archive_write_header(a, e), ARCHIVE_WARN)
        << t.name << ": " << archive_error_string(a);
    if (!t.data.empty() && t.hardlink.empty()) {
      EXPECT_EQ(archive_write_data(a, t.data.data(), t.data.size()),
                static_cast<la_ssize_t>(t.data.size()));
    }
    archive_entry_free(e);
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

struct TempDir {
  std::string path;
  explicit TempDir(const char* prefix = "/tmp/berth-unpack-XXXXXX") {
    std::string tmpl = prefix;
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    // Unpacked directories may be read-only (0555 in a tar): a non-root owner must open them up.
    ::nftw(
        path.c_str(),
        [](const char* p, const struct stat* st, int, struct FTW*) {
          if (S_ISDIR(st->st_mode)) ::chmod(p, 0700);
          return 0;
        },
        16, FTW_PHYS);
    (void)fs::remove_all(path);
  }
  std::string at(const std::string& rel) const { return path + "/" + rel; }
};

UnpackOptions options() {
  UnpackOptions o;
  o.keep_ownership = ::geteuid() == 0;
  return o;
}

std::string read_all(const std::string& path) {
  auto r = fs::read_file(path);
  return r ? *r : "<" + r.error().what() + ">";
}

std::optional<struct stat> lstat_of(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) return std::nullopt;
  return st;
}

std::optional<std::string> xattr_of(const std::string& path, const char* key) {
  char buf[64];
  ssize_t n = ::lgetxattr(path.c_str(), key, buf, sizeof(buf));
  if (n < 0) return std::nullopt;
  return std::string(buf, n);
}

class UnpackFilters : public ::testing::TestWithParam<Filter> {};

TEST_P(UnpackFilters, KeepsContentModesTimesAndLinks) {
  if (!filter_available(GetParam())) GTEST_SKIP() << "libarchive here is built without zstd";
  TempDir target;
  auto suid = file("bin/su", "#!/bin/sh\n", 04755);
  suid.mtime_nsec = 123456789;
  auto tar =
      make_tar({dir("bin"), suid, file("etc/hosts", "127.0.0.1 localhost\n"), dir("ro", 0555),
                file("ro/inside", "x", 0400), symlink("etc/abs", "/etc/hosts"),
                symlink("etc/rel", "hosts"), hardlink("bin/su-link", "bin/su"),
                dir("sticky", 01777), hardlink("etc/rel-link", "etc/rel"), dir("./", 0751)},
               GetParam());
  auto stats = unpack_layer(tar.get(), target.path, options());
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(stats->entries, 11u);
  EXPECT_EQ(stats->bytes, 10u + 20u + 1u);

  EXPECT_EQ(read_all(target.at("bin/su")), "#!/bin/sh\n");
  EXPECT_EQ(read_all(target.at("etc/hosts")), "127.0.0.1 localhost\n");
  auto su = lstat_of(target.at("bin/su"));
  ASSERT_TRUE(su);
  EXPECT_EQ(su->st_mode & 07777, 04755u);
  EXPECT_EQ(su->st_mtim.tv_sec, 1700000000);
  EXPECT_EQ(su->st_mtim.tv_nsec, 123456789);
  EXPECT_EQ(su->st_nlink, 2u);
  EXPECT_EQ(lstat_of(target.at("bin/su-link"))->st_ino, su->st_ino);
  EXPECT_EQ(lstat_of(target.at("ro"))->st_mode & 07777, 0555u);
  EXPECT_EQ(lstat_of(target.at("ro"))->st_mtim.tv_sec, 1700000000);
  EXPECT_EQ(lstat_of(target.at("ro/inside"))->st_mode & 07777, 0400u);
  EXPECT_EQ(lstat_of(target.at("sticky"))->st_mode & 07777, 01777u);

  char buf[64] = {};
  ASSERT_GT(::readlink(target.at("etc/abs").c_str(), buf, sizeof(buf) - 1), 0);
  EXPECT_STREQ(buf, "/etc/hosts");
  EXPECT_EQ(lstat_of(target.at("etc/abs"))->st_mtim.tv_sec, 1700000000);
  EXPECT_EQ(read_all(target.at("etc/rel")), "127.0.0.1 localhost\n");
  // A hard link to a symlink links the symlink itself.
  EXPECT_TRUE(S_ISLNK(lstat_of(target.at("etc/rel-link"))->st_mode));
  EXPECT_EQ(lstat_of(target.at("etc/rel-link"))->st_ino, lstat_of(target.at("etc/rel"))->st_ino);
  EXPECT_EQ(lstat_of(target.path)->st_mode & 07777, 0751u);
  // Made by the unpack, without an entry of their own.
  EXPECT_TRUE(S_ISDIR(lstat_of(target.at("etc"))->st_mode));
}

INSTANTIATE_TEST_SUITE_P(Unpack, UnpackFilters,
                         ::testing::Values(Filter::plain, Filter::gzip, Filter::zstd),
                         [](const auto& info) {
                           switch (info.param) {
                             case Filter::plain:
                               return "plain";
                             case Filter::gzip:
                               return "gzip";
                             default:
                               return "zstd";
                           }
                         });

TEST(Unpack, LaterEntriesReplaceEarlierOnes) {
  TempDir target;
  auto tar = make_tar({file("x", "old"), file("x", "new"), dir("d"), file("d/f", "1"),
                       file("d", "now a file"), symlink("l", "x"), file("l", "not a link"),
                       dir("keep"), file("keep/a", "a"), dir("keep", 0700)});
  auto stats = unpack_layer(tar.get(), target.path, options());
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(read_all(target.at("x")), "new");
  EXPECT_EQ(read_all(target.at("d")), "now a file");
  EXPECT_TRUE(S_ISREG(lstat_of(target.at("l"))->st_mode));
  EXPECT_EQ(read_all(target.at("keep/a")), "a");
  EXPECT_EQ(lstat_of(target.at("keep"))->st_mode & 07777, 0700u);
}

TEST(Unpack, KeepsNonAsciiNamesInACLocale) {
  TempDir target;
  // In the C locale the writer stores the name as raw bytes (hdrcharset=BINARY), with a warning.
  auto tar = make_tar({file("caf\u00e9/\u65e5\u672c", "utf8")});
  auto stats = unpack_layer(tar.get(), target.path, options());
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(read_all(target.at("caf\u00e9/\u65e5\u672c")), "utf8");
}

TEST(Unpack, RefusesDotDotAboveTheRoot) {
  TempDir parent;
  ASSERT_EQ(::mkdir(parent.at("target").c_str(), 0755), 0);
  for (const char* name : {"../escape", "a/../../escape", "./../escape"}) {
    auto tar = make_tar({file(name, "x")});
    auto stats = unpack_layer(tar.get(), parent.at("target"), options());
    ASSERT_FALSE(stats) << name;
    EXPECT_EQ(stats.error().what(),
              std::string("layer entry \"") + name + "\": escapes the target");
    EXPECT_FALSE(lstat_of(parent.at("escape")));
  }
}

TEST(Unpack, ConfinesAbsoluteAndInnerDotDotNames) {
  TempDir target;
  auto tar = make_tar({file("/abs/path", "abs"), file("a/../b", "b"), file("//c/./d", "d")});
  auto stats = unpack_layer(tar.get(), target.path, options());
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(read_all(target.at("abs/path")), "abs");
  EXPECT_EQ(read_all(target.at("b")), "b");
  EXPECT_EQ(read_all(target.at("c/d")), "d");
}

TEST(Unpack, SymlinkedParentCannotLeaveTheTarget) {
  TempDir outside("/tmp/outside-XXXXXX");
  TempDir target;
  auto tar = make_tar({symlink("a", outside.path), file("a/file", "pwned")});
  auto stats = unpack_layer(tar.get(), target.path, options());
  // a resolves to <target>/tmp/outside-XXXXXX, which does not exist: refused, not written outside.
  ASSERT_FALSE(stats);
  EXPECT_TRUE(stats.error().what().starts_with("layer entry \"a/file\": ")) << stats.error().what();
  EXPECT_FALSE(lstat_of(outside.at("file")));

  TempDir target2;
  auto climbing = make_tar({dir("x"), symlink("x/up", "../../../../.."), file("x/up/file", "in")});
  stats = unpack_layer(climbing.get(), target2.path, options());
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(read_all(target2.at("file")), "in");
}

TEST(Unpack, SymlinkToHostEtcWritesInsideTheTarget) {
  auto before = lstat_of("/etc/passwd");
  ASSERT_TRUE(before);
  TempDir target;
  auto tar =
      make_tar({dir("etc"), symlink("evil", "/etc"), file("evil/passwd", "root::0:0::/:/x\n"),
                symlink("evil2", "../../../etc/passwd"), file("evil2", "replaced link")});
  auto stats = unpack_layer(tar.get(), target.path, options());
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(read_all(target.at("etc/passwd")), "root::0:0::/:/x\n");
  EXPECT_EQ(read_all(target.at("evil2")), "replaced link");
  auto after = lstat_of("/etc/passwd");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->st_ino, before->st_ino);
  EXPECT_EQ(after->st_size, before->st_size);
  EXPECT_EQ(after->st_mtim.tv_sec, before->st_mtim.tv_sec);
  EXPECT_EQ(after->st_mtim.tv_nsec, before->st_mtim.tv_nsec);
}

TEST(Unpack, HardLinksMustStayInside) {
  auto before = lstat_of("/etc/passwd");
  ASSERT_TRUE(before);
  {
    TempDir target;
    auto tar = make_tar({hardlink("stolen", "/etc/passwd")});
    auto stats = unpack_layer(tar.get(), target.path, options());
    ASSERT_FALSE(stats);
    EXPECT_TRUE(
        stats.error().what().starts_with("layer entry \"stolen\": hard link to \"/etc/passwd\": "))
        << stats.error().what();
  }
  {
    TempDir target;
    auto tar = make_tar({hardlink("stolen", "../../../../etc/passwd")});
    auto stats = unpack_layer(tar.get(), target.path, options());
    ASSERT_FALSE(stats);
    EXPECT_EQ(stats.error().what(),
              "layer entry \"stolen\": hard link to \"../../../../etc/passwd\" escapes the target");
  }
  {
    TempDir target;
    auto tar = make_tar({symlink("hostetc", "/etc"), hardlink("stolen", "hostetc/passwd")});
    auto stats = unpack_layer(tar.get(), target.path, options());
    ASSERT_FALSE(stats);
    EXPECT_TRUE(stats.error().what().starts_with("layer entry \"stolen\": "))
        << stats.error().what();
  }
  EXPECT_EQ(lstat_of("/etc/passwd")->st_nlink, before->st_nlink);
}

TEST(Unpack, KeepsXattrsButNotSecurityOrOverlayOnes) {
  TempDir target;
  auto f = file("f", "x");
  f.xattrs = {{"user.kept", "yes"}, {"security.selinux", "system_u:object_r:bin_t:s0"}};
  if (::geteuid() == 0) f.xattrs.push_back({"trusted.overlay.redirect", "/etc"});
  auto d = dir("d");
  d.xattrs = {{"user.dir", "1"}, {"user.overlay.opaque", "y"}};
  auto tar = make_tar({f, d});
  auto stats = unpack_layer(tar.get(), target.path, options());
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(xattr_of(target.at("f"), "user.kept"), "yes");
  EXPECT_EQ(xattr_of(target.at("d"), "user.dir"), "1");
  EXPECT_FALSE(xattr_of(target.at("d"), "user.overlay.opaque"));
  if (::geteuid() == 0) {
    EXPECT_FALSE(xattr_of(target.at("f"), "trusted.overlay.redirect"));
  }
}

TEST(Unpack, WhiteoutsAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "trusted.* xattrs need CAP_SYS_ADMIN";
  TempDir target;
  auto tar = make_tar({dir("d"), file("d/.wh..wh..opq", ""), file("d/.wh.gone", ""),
                       file(".wh.top", ""), file(".wh..wh.plnk", "")});
  auto stats = unpack_layer(tar.get(), target.path, options());
  ASSERT_TRUE(stats) << stats.error().what();
  for (const char* name : {"d/gone", "top"}) {
    auto st = lstat_of(target.at(name));
    ASSERT_TRUE(st) << name;
    EXPECT_TRUE(S_ISCHR(st->st_mode)) << name;
    EXPECT_EQ(st->st_rdev, makedev(0, 0)) << name;
  }
  EXPECT_EQ(xattr_of(target.at("d"), "trusted.overlay.opaque"), "y");
  EXPECT_FALSE(lstat_of(target.at("d/.wh..wh..opq")));
  EXPECT_FALSE(lstat_of(target.at("d/.wh.gone")));
  EXPECT_FALSE(lstat_of(target.at(".wh..wh.plnk")));
}

TEST(Unpack, WhiteoutsWithUserXattrs) {
  TempDir target;
  auto tar = make_tar({dir("d"), file("d/.wh..wh..opq", ""), dir("e"), file("e/.wh.gone", "")});
  auto opts = options();
  opts.whiteouts = WhiteoutFormat::overlay_userxattr;
  auto stats = unpack_layer(tar.get(), target.path, opts);
  ASSERT_TRUE(stats) << stats.error().what();
  EXPECT_EQ(xattr_of(target.at("d"), "user.overlay.opaque"), "y");
  EXPECT_FALSE(xattr_of(target.at("d"), "trusted.overlay.opaque"));
  auto gone = lstat_of(target.at("e/gone"));
  ASSERT_TRUE(gone);
  if (S_ISCHR(gone->st_mode)) {
    EXPECT_EQ(gone->st_rdev, makedev(0, 0));
  } else {
    EXPECT_TRUE(S_ISREG(gone->st_mode));
    EXPECT_EQ(gone->st_size, 0);
    EXPECT_TRUE(xattr_of(target.at("e/gone"), "user.overlay.whiteout"));
    EXPECT_EQ(xattr_of(target.at("e"), "user.overlay.opaque"), "x");
  }
}

TEST(Unpack, RefusesNamelessWhiteoutsAndNonDirectoryRoots) {
  TempDir target;
  for (const char* name : {"d/.wh.", ".wh..."}) {
    auto tar = make_tar({file(name, "")});
    auto stats = unpack_layer(tar.get(), target.path, options());
    ASSERT_FALSE(stats) << name;
    EXPECT_EQ(stats.error().what(),
              std::string("layer entry \"") + name + "\": whiteout of no name");
  }
  // ("./" would be read as a directory: old tars mark directories by the trailing slash.)
  auto tar = make_tar({file(".", "")});
  auto stats = unpack_layer(tar.get(), target.path, options());
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().what(), "layer entry \".\": replaces the layer root");
}

TEST(Unpack, DevicesFailWithoutRoot) {
  if (::geteuid() == 0) GTEST_SKIP() << "as root, devices are made (OwnershipAndDevicesAsRoot)";
  TempDir target;
  TarEntry null_dev;
  null_dev.name = "dev/null";
  null_dev.type = AE_IFCHR;
  null_dev.rdev_major = 1;
  null_dev.rdev_minor = 3;
  auto tar = make_tar({null_dev});
  auto stats = unpack_layer(tar.get(), target.path, options());
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().what(),
            "layer entry \"dev/null\": mknod \"null\": operation not permitted");
}

// The whiteouts are right if overlayfs itself reads them so.
TEST(Unpack, OverlayHonorsTheWhiteouts) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting overlayfs needs root";
  for (auto format : {WhiteoutFormat::overlay_root, WhiteoutFormat::overlay_userxattr}) {
    TempDir work;
    for (const char* d : {"lower", "layer", "mnt"}) ASSERT_EQ(::mkdir(work.at(d).c_str(), 0755), 0);
    auto lower = make_tar({file("gone", "1"), file("kept", "2"), dir("d"), file("d/old", "3")});
    auto layer =
        make_tar({file(".wh.gone", ""), dir("d"), file("d/.wh..wh..opq", ""), file("d/new", "4")});
    auto opts = options();
    opts.whiteouts = format;
    ASSERT_TRUE(unpack_layer(lower.get(), work.at("lower"), opts));
    ASSERT_TRUE(unpack_layer(layer.get(), work.at("layer"), opts));
    std::string data = "lowerdir=" + work.at("layer") + ":" + work.at("lower");
    if (format == WhiteoutFormat::overlay_userxattr) data += ",userxattr";
    if (::mount("overlay", work.at("mnt").c_str(), "overlay", MS_RDONLY, data.c_str()) < 0)
      GTEST_SKIP() << "mount overlay (" << data << "): " << std::strerror(errno);
    EXPECT_FALSE(lstat_of(work.at("mnt/gone")));
    EXPECT_EQ(read_all(work.at("mnt/kept")), "2");
    EXPECT_FALSE(lstat_of(work.at("mnt/d/old")));
    EXPECT_EQ(read_all(work.at("mnt/d/new")), "4");
    ::umount2(work.at("mnt").c_str(), MNT_DETACH);
  }
}

TEST(Unpack, OverlayHonorsFileWhiteouts) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting overlayfs needs root";
  TempDir work;
  for (const char* d : {"lower", "layer", "mnt"}) ASSERT_EQ(::mkdir(work.at(d).c_str(), 0755), 0);
  auto lower = make_tar({file("gone", "1"), file("kept", "2")});
  ASSERT_TRUE(unpack_layer(lower.get(), work.at("lower"), options()));
  unique_fd layer(::open(work.at("layer").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  auto made = berth::image::write_file_whiteout(layer.get(), "gone");
  ASSERT_TRUE(made) << made.error().what();
  EXPECT_EQ(xattr_of(work.at("layer"), "user.overlay.opaque"), "x");
  std::string data = "lowerdir=" + work.at("layer") + ":" + work.at("lower") + ",userxattr";
  if (::mount("overlay", work.at("mnt").c_str(), "overlay", MS_RDONLY, data.c_str()) < 0)
    GTEST_SKIP() << "mount overlay (" << data << "): " << std::strerror(errno);
  EXPECT_FALSE(lstat_of(work.at("mnt/gone")));
  EXPECT_EQ(read_all(work.at("mnt/kept")), "2");
  ::umount2(work.at("mnt").c_str(), MNT_DETACH);
}

TEST(Unpack, OwnershipAndDevicesAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown and mknod of devices need root";
  TempDir target;
  auto su = file("su", "x", 06755);
  su.uid = 1234;
  su.gid = 5678;
  auto d = dir("home", 0750);
  d.uid = 1000;
  d.gid = 1000;
  auto l = symlink("link", "su");
  l.uid = 42;
  TarEntry null_dev;
  null_dev.name = "dev/null";
  null_dev.type = AE_IFCHR;
  null_dev.perm = 0666;
  null_dev.rdev_major = 1;
  null_dev.rdev_minor = 3;
  TarEntry fifo;
  fifo.name = "fifo";
  fifo.type = AE_IFIFO;
  fifo.perm = 0620;
  auto tar = make_tar({su, d, l, null_dev, fifo});
  auto stats = unpack_layer(tar.get(), target.path, UnpackOptions{});
  ASSERT_TRUE(stats) << stats.error().what();
  auto st = lstat_of(target.at("su"));
  EXPECT_EQ(st->st_uid, 1234u);
  EXPECT_EQ(st->st_gid, 5678u);
  EXPECT_EQ(st->st_mode & 07777, 06755u);
  EXPECT_EQ(lstat_of(target.at("home"))->st_uid, 1000u);
  EXPECT_EQ(lstat_of(target.at("home"))->st_mode & 07777, 0750u);
  EXPECT_EQ(lstat_of(target.at("link"))->st_uid, 42u);
  auto dev = lstat_of(target.at("dev/null"));
  EXPECT_TRUE(S_ISCHR(dev->st_mode));
  EXPECT_EQ(dev->st_rdev, makedev(1, 3));
  EXPECT_EQ(dev->st_mode & 07777, 0666u);
  EXPECT_TRUE(S_ISFIFO(lstat_of(target.at("fifo"))->st_mode));
  EXPECT_EQ(lstat_of(target.at("fifo"))->st_mode & 07777, 0620u);
}

std::string noise(size_t size, unsigned seed) {
  std::string s(size, '\0');
  uint64_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

TEST(Unpack, TruncatedGzipNamesTheEntry) {
  TempDir target;
  auto tar = make_tar({file("small", "s"), file("big", noise(1 << 20, 1))}, Filter::gzip);
  struct stat st;
  ASSERT_EQ(::fstat(tar.get(), &st), 0);
  ASSERT_EQ(::ftruncate(tar.get(), st.st_size / 2), 0);
  auto stats = unpack_layer(tar.get(), target.path, options());
  ASSERT_FALSE(stats);
  EXPECT_TRUE(stats.error().what().starts_with("truncated layer at entry \"big\": "))
      << stats.error().what();
}

TEST(Unpack, GarbageIsRefused) {
  TempDir target;
  unique_fd fd(::memfd_create("garbage", MFD_CLOEXEC));
  std::string junk = noise(4096, 7);
  ASSERT_EQ(::write(fd.get(), junk.data(), junk.size()), 4096);
  ::lseek(fd.get(), 0, SEEK_SET);
  auto stats = unpack_layer(fd.get(), target.path, options());
  ASSERT_FALSE(stats);
  EXPECT_TRUE(stats.error().what().starts_with("read layer: ")) << stats.error().what();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// For the record, not a pass criterion: the goal is at most 1.2x `tar -x`.
TEST(Unpack, ThroughputAgainstTar) {
  std::vector<TarEntry> entries;
  size_t total = 0;
  for (int d = 0; d < 20; ++d) {
    entries.push_back(dir("d" + std::to_string(d)));
    for (int f = 0; f < 50; ++f) {
      size_t size = (f % 10 == 0) ? 300000 : 4000 + 1000 * static_cast<size_t>(f);
      entries.push_back(file("d" + std::to_string(d) + "/f" + std::to_string(f),
                             noise(size, static_cast<unsigned>(d * 100 + f))));
      total += size;
    }
  }
  for (Filter filter : {Filter::plain, Filter::gzip}) {
    auto tar = make_tar(entries, filter);
    TempDir work;
    std::string tarball = work.at(filter == Filter::gzip ? "layer.tar.gz" : "layer.tar");
    {
      struct stat st;
      ASSERT_EQ(::fstat(tar.get(), &st), 0);
      unique_fd out(::open(tarball.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
      ASSERT_EQ(::sendfile(out.get(), tar.get(), nullptr, st.st_size), st.st_size);
      ::lseek(tar.get(), 0, SEEK_SET);
    }
    std::string cmd = "tar -x" + std::string(filter == Filter::gzip ? "z" : "") + " -f " + tarball;
    // Alternating, best of four each, with dirty pages written back before every run.
    double berth_s = 1e9, tar_s = 1e9;
    for (int round = 0; round < 4; ++round) {
      std::string berth_dir = work.at("berth" + std::to_string(round));
      std::string tar_dir = work.at("tar" + std::to_string(round));
      ASSERT_EQ(::mkdir(berth_dir.c_str(), 0755), 0);
      ASSERT_EQ(::mkdir(tar_dir.c_str(), 0755), 0);
      auto run_berth = [&] {
        ::sync();
        auto start = std::chrono::steady_clock::now();
        unique_fd in(::open(tarball.c_str(), O_RDONLY | O_CLOEXEC));
        auto stats = unpack_layer(in.get(), berth_dir, options());
        berth_s = std::min(berth_s, seconds_since(start));
        ASSERT_TRUE(stats) << stats.error().what();
        EXPECT_EQ(stats->bytes, total);
      };
      auto run_tar = [&] {
        ::sync();
        auto start = std::chrono::steady_clock::now();
        ASSERT_EQ(std::system((cmd + " -C " + tar_dir).c_str()), 0);
        tar_s = std::min(tar_s, seconds_since(start));
      };
      // Who goes first pays more in ext4's inode allocator: take turns.
      if (round % 2 == 0) {
        run_berth();
        run_tar();
      } else {
        run_tar();
        run_berth();
      }
    }
    std::printf(
        "[ record ] %s layer, %.1f MB in %zu entries: berth %.3f s (%.0f MB/s), "
        "tar -x %.3f s (%.0f MB/s), ratio %.2f\n",
        filter == Filter::gzip ? "gzip" : "plain", total / 1e6, entries.size(), berth_s,
        total / 1e6 / berth_s, tar_s, total / 1e6 / tar_s, berth_s / tar_s);
  }
}

}  // namespace
