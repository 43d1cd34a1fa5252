#include "image/mapped_layers.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.hpp"
#include "image_fixture.hpp"

namespace {

using berth::image::Digest;
using berth::image::LayerStore;
using berth::image::MappedLayers;
using berth::image::OwnerMap;
using berth::image::UnpackOptions;
using berth_test::TempDir;

constexpr uid_t kShift = 100000;

Digest chain_of(char c) {
  return Digest{"sha256", std::string(64, c)};
}

OwnerMap shifted(int* calls = nullptr) {
  return [calls](uid_t uid, gid_t gid) {
    if (calls != nullptr) ++*calls;
    return std::pair<uid_t, gid_t>{uid + kShift, gid + kShift};
  };
}

// Every owner becomes the caller's: a map that works without root.
OwnerMap to_caller(int* calls = nullptr) {
  return [calls](uid_t, gid_t) {
    if (calls != nullptr) ++*calls;
    return std::pair<uid_t, gid_t>{::geteuid(), ::getegid()};
  };
}

struct Store {
  TempDir dir;
  LayerStore layers = *LayerStore::open(dir.path, UnpackOptions{});
  MappedLayers mapped{dir.path, layers};

  // An unpacked layer as LayerStore leaves it: <data>/layers/<hex>/diff.
  std::string layer(const Digest& chain) {
    std::string diff = layers.diff_path(chain);
    EXPECT_TRUE(berth::fs::mkdir_p(diff, 0755));
    return diff;
  }
};

void write(const std::string& path, const std::string& data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fd);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

void set_xattr(const std::string& path, const std::string& key, const std::string& value) {
  ASSERT_EQ(::lsetxattr(path.c_str(), key.c_str(), value.data(), value.size(), 0), 0)
      << key << " on " << path << ": " << std::strerror(errno);
}

// A file capability: revision 2 (20 bytes) or, with a rootid, revision 3 (24 bytes).
std::string capability(uint32_t permitted, std::optional<uint32_t> rootid) {
  std::string v;
  auto put = [&](uint32_t x) {
    for (int i = 0; i < 4; ++i) v += static_cast<char>((x >> (8 * i)) & 0xff);
  };
  put((rootid ? 0x03000000u : 0x02000000u) | 1u);  // revision | effective
  put(permitted);
  put(0);
  put(0);
  put(0);
  if (rootid) put(*rootid);
  return v;
}

struct Entry {
  mode_t mode = 0;  // type and permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  dev_t rdev = 0;
  off_t size = 0;
  int64_t mtime = 0;
  int64_t mtime_nsec = 0;
  nlink_t nlink = 0;
  std::string target;
  std::string content;
  std::map<std::string, std::string> xattrs;
  bool operator==(const Entry&) const = default;
};

std::map<std::string, Entry>* g_tree;
std::string g_base;

// Every entry under root by its path relative to it ("" the root), symlinks not followed.
std::map<std::string, Entry> tree(const std::string& root) {
  std::map<std::string, Entry> out;
  g_tree = &out;
  g_base = root;
  ::nftw(
      root.c_str(),
      [](const char* p, const struct stat* st, int, struct FTW*) {
        std::string rel = std::string(p).substr(g_base.size());
        if (!rel.empty()) rel = rel.substr(1);
        Entry e;
        e.mode = st->st_mode;
        e.uid = st->st_uid;
        e.gid = st->st_gid;
        e.rdev = S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? st->st_rdev : 0;
        e.size = S_ISDIR(st->st_mode) ? 0 : st->st_size;
        e.mtime = st->st_mtim.tv_sec;
        e.mtime_nsec = st->st_mtim.tv_nsec;
        e.nlink = S_ISDIR(st->st_mode) ? 0 : st->st_nlink;
        if (S_ISLNK(st->st_mode)) {
          char buf[4096];
          ssize_t n = ::readlink(p, buf, sizeof(buf));
          e.target.assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
        }
        if (S_ISREG(st->st_mode)) e.content = berth::fs::read_file(p).value_or("<unreadable>");
        char keys[4096];
        ssize_t n = ::llistxattr(p, keys, sizeof(keys));
        for (ssize_t at = 0; at < n;) {
          std::string key = keys + at;
          at += static_cast<ssize_t>(key.size()) + 1;
          if (key.starts_with("security.") && key != "security.capability") continue;
          char value[256];
          ssize_t len = ::lgetxattr(p, key.c_str(), value, sizeof(value));
          e.xattrs[key] = std::string(value, len > 0 ? static_cast<size_t>(len) : 0);
        }
        (*g_tree)[rel] = std::move(e);
        return 0;
      },
      16, FTW_PHYS);
  return out;
}

ino_t inode(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

void own(const std::string& path, uid_t uid, gid_t gid) {
  ASSERT_EQ(::lchown(path.c_str(), uid, gid), 0) << path << ": " << std::strerror(errno);
}

void set_mtime(const std::string& path, int64_t sec, int64_t nsec) {
  struct timespec t[2] = {{sec, nsec}, {sec, nsec}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), t, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// A layer with every kind of entry overlayfs reads from a lower dir.
void fill_full_layer(const std::string& d) {
  ASSERT_EQ(::mkdir((d + "/etc").c_str(), 0755), 0);
  write(d + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
  own(d + "/etc/passwd", 0, 0);
  ASSERT_EQ(::mkdir((d + "/bin").c_str(), 0755), 0);
  write(d + "/bin/su", "su binary", 04755);
  own(d + "/bin/su", 0, 0);
  ASSERT_EQ(::chmod((d + "/bin/su").c_str(), 04755), 0);
  write(d + "/bin/ping", "ping binary", 0755);
  set_xattr(d + "/bin/ping", "security.capability", capability(1u << 13, std::nullopt));
  write(d + "/bin/nsping", "namespaced caps", 0755);
  own(d + "/bin/nsping", 4242, 4242);
  set_xattr(d + "/bin/nsping", "security.capability", capability(1u << 10, 4242));
  write(d + "/bin/wall", "sgid", 02755);
  own(d + "/bin/wall", 0, 5);
  ASSERT_EQ(::chmod((d + "/bin/wall").c_str(), 02755), 0);
  // A hard link pair, in two directories.
  write(d + "/a", "linked", 0640);
  own(d + "/a", 33, 33);
  ASSERT_EQ(::link((d + "/a").c_str(), (d + "/etc/a-link").c_str()), 0);
  ASSERT_EQ(::symlink("../../etc", (d + "/etc/up").c_str()), 0);
  own(d + "/etc/up", 5, 6);
  ASSERT_EQ(::symlink("/etc/shadow", (d + "/shadow").c_str()), 0);
  ASSERT_EQ(::mknod((d + "/gone").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  ASSERT_EQ(::mkdir((d + "/dev").c_str(), 0755), 0);
  ASSERT_EQ(::mknod((d + "/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::chmod((d + "/dev/null").c_str(), 0666), 0);
  ASSERT_EQ(::mkfifo((d + "/dev/fifo").c_str(), 0620), 0);
  own(d + "/dev/fifo", 7, 8);
  ASSERT_EQ(::mkdir((d + "/opaque").c_str(), 0750), 0);
  set_xattr(d + "/opaque", "trusted.overlay.opaque", "y");
  write(d + "/opaque/kept", "x", 0600);
  ASSERT_EQ(::mkdir((d + "/uopaque").c_str(), 0755), 0);
  set_xattr(d + "/uopaque", "user.overlay.opaque", "y");
  ASSERT_EQ(::mkdir((d + "/tmp").c_str(), 01777), 0);
  ASSERT_EQ(::chmod((d + "/tmp").c_str(), 01777), 0);
  ASSERT_EQ(::mkdir((d + "/shared").c_str(), 02775), 0);
  own(d + "/shared", 10, 20);
  ASSERT_EQ(::chmod((d + "/shared").c_str(), 02775), 0);
  ASSERT_EQ(::mkdir((d + "/ro").c_str(), 0700), 0);
  write(d + "/ro/file", "read only", 0444);
  ASSERT_EQ(::chmod((d + "/ro").c_str(), 0555), 0);
  set_mtime(d + "/etc/passwd", 1000000000, 123456789);
  set_mtime(d + "/etc/up", 1100000000, 0);
  set_mtime(d + "/ro", 1200000000, 5);
  set_mtime(d + "/etc", 1300000000, 7);
  ASSERT_EQ(::chmod(d.c_str(), 0755), 0);
  own(d, 0, 0);
}

TEST(MappedLayers, CopiesEveryKindOfEntryWithOwnersShifted) {
  if (::geteuid() != 0) GTEST_SKIP() << "owners, devices and trusted.* xattrs need root";
  Store s;
  Digest chain = chain_of('a');
  std::string layer = s.layer(chain);
  fill_full_layer(layer);
  if (HasFatalFailure()) return;

  auto copy = s.mapped.diff_path(chain, "100000-65536", shifted());
  ASSERT_TRUE(copy) << copy.error().what();
  EXPECT_EQ(*copy, s.dir.at("layers-mapped/100000-65536/" + chain.hex + "/diff"));

  auto want = tree(layer);
  for (auto& [rel, e] : want) {
    e.uid += kShift;
    e.gid += kShift;
  }
  auto got = tree(*copy);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [rel, e] : want) {
    ASSERT_TRUE(got.contains(rel)) << rel;
    EXPECT_EQ(got[rel], e) << rel;
  }
  // Spot checks of what the comparison covers, to say what matters.
  EXPECT_EQ(got["bin/su"].mode, S_IFREG | 04755);
  EXPECT_EQ(got["bin/su"].uid, kShift);
  EXPECT_EQ(got["bin/wall"].mode, S_IFREG | 02755);
  EXPECT_EQ(got["tmp"].mode, S_IFDIR | 01777);
  EXPECT_EQ(got["shared"].mode, S_IFDIR | 02775);
  EXPECT_EQ(got["gone"].mode & S_IFMT, static_cast<mode_t>(S_IFCHR));
  EXPECT_EQ(got["gone"].rdev, makedev(0, 0));
  EXPECT_EQ(got["opaque"].xattrs["trusted.overlay.opaque"], "y");
  EXPECT_EQ(got["uopaque"].xattrs["user.overlay.opaque"], "y");
  EXPECT_EQ(got["bin/ping"].xattrs["security.capability"], capability(1u << 13, std::nullopt));
  EXPECT_EQ(got["bin/nsping"].xattrs["security.capability"], capability(1u << 10, 4242));
  EXPECT_EQ(got["etc/up"].target, "../../etc");
  EXPECT_EQ(got["etc/up"].uid, 5 + kShift);
  EXPECT_EQ(got["etc/passwd"].mtime_nsec, 123456789);
  EXPECT_EQ(got["a"].nlink, 2u);
  EXPECT_EQ(inode(*copy + "/a"), inode(*copy + "/etc/a-link"));
  EXPECT_NE(inode(*copy + "/a"), inode(layer + "/a"));
  // The layer itself is untouched.
  struct stat st;
  ASSERT_EQ(::stat((layer + "/bin/su").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST(MappedLayers, SecondCallReturnsTheCopyAsItIs) {
  Store s;
  Digest chain = chain_of('b');
  std::string layer = s.layer(chain);
  write(layer + "/f", "data", 0644);
  int calls = 0;
  OwnerMap map = ::geteuid() == 0 ? shifted(&calls) : to_caller(&calls);
  auto first = s.mapped.diff_path(chain, "k1", map);
  ASSERT_TRUE(first) << first.error().what();
  int after_first = calls;
  EXPECT_EQ(after_first, 2);  // the root and f
  ino_t dir = inode(*first);
  ino_t file = inode(*first + "/f");
  auto second = s.mapped.diff_path(chain, "k1", map);
  ASSERT_TRUE(second) << second.error().what();
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(calls, after_first);
  EXPECT_EQ(inode(*second), dir);
  EXPECT_EQ(inode(*second + "/f"), file);
  // Another map gets a copy of its own.
  auto other = s.mapped.diff_path(chain, "k2", map);
  ASSERT_TRUE(other) << other.error().what();
  EXPECT_NE(*other, *first);
  EXPECT_NE(inode(*other + "/f"), file);
}

TEST(MappedLayers, KilledCopiesAreRemovedByTheNextCopy) {
  Store s;
  Digest chain = chain_of('c');
  std::string layer = s.layer(chain);
  write(layer + "/f", "data", 0644);
  std::string map_dir = s.dir.at("layers-mapped/k");
  ASSERT_TRUE(berth::fs::mkdir_p(map_dir + "/.tmp-cccccccccccc-0123456789ab/diff/half", 0700));
  write(map_dir + "/.tmp-cccccccccccc-0123456789ab/diff/half/file", "half a copy", 0600);
  set_mtime(map_dir + "/.tmp-cccccccccccc-0123456789ab", 1000000000, 0);
  // A copy in progress elsewhere holds its temp dir locked: it stays.
  ASSERT_TRUE(berth::fs::mkdir_p(map_dir + "/.tmp-cccccccccccc-live00000000", 0700));
  set_mtime(map_dir + "/.tmp-cccccccccccc-live00000000", 1000000000, 0);
  int live = ::open((map_dir + "/.tmp-cccccccccccc-live00000000").c_str(),
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(live, 0);
  ASSERT_EQ(::flock(live, LOCK_EX), 0);

  auto copy = s.mapped.diff_path(chain, "k", to_caller());
  ::close(live);
  ASSERT_TRUE(copy) << copy.error().what();
  EXPECT_FALSE(berth::fs::exists(map_dir + "/.tmp-cccccccccccc-0123456789ab"));
  EXPECT_TRUE(berth::fs::exists(map_dir + "/.tmp-cccccccccccc-live00000000"));
  EXPECT_EQ(berth::fs::read_file(*copy + "/f").value_or(""), "data");
}

TEST(MappedLayers, RemoveMapRemovesItsCopiesOnly) {
  Store s;
  Digest a = chain_of('d');
  Digest b = chain_of('e');
  write(s.layer(a) + "/f", std::string(1000, 'x'), 0644);
  write(s.layer(b) + "/g", std::string(24, 'y'), 0644);
  for (const auto& key : {"k1", "k2"})
    for (const auto& chain : {a, b}) ASSERT_TRUE(s.mapped.diff_path(chain, key, to_caller()));
  auto usage = s.mapped.disk_usage("k1");
  ASSERT_TRUE(usage) << usage.error().what();
  EXPECT_EQ(*usage, 1024u);

  ASSERT_TRUE(s.mapped.remove_map("k1"));
  EXPECT_FALSE(berth::fs::exists(s.dir.at("layers-mapped/k1")));
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(s.dir.at("layers-mapped")))
    left.push_back(e.path().filename());
  EXPECT_EQ(left, std::vector<std::string>{"k2"});
  EXPECT_EQ(s.mapped.disk_usage("k1").value_or(1), 0u);
  EXPECT_EQ(s.mapped.disk_usage("k2").value_or(0), 1024u);
  EXPECT_TRUE(s.mapped.remove_map("k1")) << "a missing map is removed already";
  // The layers themselves stay.
  EXPECT_TRUE(berth::fs::exists(s.layers.diff_path(a) + "/f"));
  // And a new copy after a removal works.
  auto again = s.mapped.diff_path(a, "k1", to_caller());
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_TRUE(berth::fs::exists(*again + "/f"));
}

TEST(MappedLayers, RemoveUnreferencedKeepsOnlyTheGivenChains) {
  Store s;
  Digest a = chain_of('1');
  Digest b = chain_of('2');
  write(s.layer(a) + "/f", "aaaa", 0644);
  write(s.layer(b) + "/g", "bbbbbbbb", 0644);
  for (const auto& key : {"k1", "k2"})
    for (const auto& chain : {a, b}) ASSERT_TRUE(s.mapped.diff_path(chain, key, to_caller()));
  auto freed = s.mapped.remove_unreferenced({a});
  ASSERT_TRUE(freed) << freed.error().what();
  EXPECT_EQ(*freed, 16u);
  for (const auto& key : {"k1", "k2"}) {
    std::string dir = s.dir.at(std::string("layers-mapped/") + key);
    EXPECT_TRUE(berth::fs::exists(dir + "/" + a.hex + "/diff/f")) << key;
    EXPECT_FALSE(berth::fs::exists(dir + "/" + b.hex)) << key;
  }
}

TEST(MappedLayers, RefusesBadKeysAndMissingLayers) {
  Store s;
  for (const std::string& key : std::vector<std::string>{"", ".", "..", "../x", "a/b", ".tmp-x",
                                                         "Upper", std::string(65, 'a')}) {
    auto r = s.mapped.diff_path(chain_of('f'), key, to_caller());
    EXPECT_FALSE(r) << key;
    EXPECT_FALSE(s.mapped.remove_map(key)) << key;
  }
  auto missing = s.mapped.diff_path(chain_of('f'), "k", to_caller());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().what().find("copy layer sha256:ffff"), std::string::npos)
      << missing.error().what();
  EXPECT_FALSE(berth::fs::exists(s.dir.at("layers-mapped/k/" + chain_of('f').hex)));
}

TEST(MappedLayers, NeverFollowsTheLayersSymlinks) {
  Store s;
  Digest chain = chain_of('9');
  std::string layer = s.layer(chain);
  TempDir outside;
  write(outside.at("secret"), "outside", 0600);
  // A symlink where a directory could be, and one to a file outside.
  ASSERT_EQ(::symlink(outside.path.c_str(), (layer + "/dir").c_str()), 0);
  ASSERT_EQ(::symlink(outside.at("secret").c_str(), (layer + "/file").c_str()), 0);
  auto copy = s.mapped.diff_path(chain, "k", ::geteuid() == 0 ? shifted() : to_caller());
  ASSERT_TRUE(copy) << copy.error().what();
  struct stat st;
  ASSERT_EQ(::lstat((*copy + "/dir").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(::lstat((*copy + "/file").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(::lstat(outside.at("secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::geteuid());
}

TEST(MappedLayers, OverlayOfCopiesHidesWhatTheUpperLayerRemoves) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting overlayfs and trusted.* xattrs need root";
  Store s;
  Digest lower = chain_of('3');
  Digest upper = chain_of('4');
  std::string l = s.layer(lower);
  write(l + "/gone", "removed above", 0644);
  ASSERT_EQ(::mkdir((l + "/opaque").c_str(), 0755), 0);
  write(l + "/opaque/old", "hidden above", 0644);
  write(l + "/kept", "kept", 0644);
  std::string u = s.layer(upper);
  ASSERT_EQ(::mknod((u + "/gone").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  ASSERT_EQ(::mkdir((u + "/opaque").c_str(), 0755), 0);
  set_xattr(u + "/opaque", "trusted.overlay.opaque", "y");
  write(u + "/opaque/new", "new", 0644);
  auto lower_copy = s.mapped.diff_path(lower, "k", shifted());
  auto upper_copy = s.mapped.diff_path(upper, "k", shifted());
  ASSERT_TRUE(lower_copy) << lower_copy.error().what();
  ASSERT_TRUE(upper_copy) << upper_copy.error().what();

  std::string merged = s.dir.at("merged");
  ASSERT_EQ(::mkdir(merged.c_str(), 0755), 0);
  std::string options = "lowerdir=" + *upper_copy + ":" + *lower_copy;
  if (::mount("overlay", merged.c_str(), "overlay", MS_RDONLY, options.c_str()) < 0)
    GTEST_SKIP() << "mount overlay: " << std::strerror(errno);
  berth_test::MountGuard guard(merged);
  EXPECT_FALSE(berth::fs::exists(merged + "/gone"));
  EXPECT_FALSE(berth::fs::exists(merged + "/opaque/old"));
  EXPECT_EQ(berth::fs::read_file(merged + "/opaque/new").value_or(""), "new");
  struct stat st;
  ASSERT_EQ(::stat((merged + "/kept").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kShift);
  EXPECT_EQ(st.st_gid, kShift);
}

}  // namespace
