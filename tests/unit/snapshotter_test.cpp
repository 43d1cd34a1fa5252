#include "image/snapshotter.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <list>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "image/image_store.hpp"
#include "image/overlay_mount.hpp"
#include "image_fixture.hpp"

namespace {

using namespace berth_test;
using berth::image::ImageStore;
using berth::image::Snapshotter;
using berth::image::SnapshotterKind;
using berth::image::StoreOptions;
namespace overlay_mount = berth::image::overlay_mount;

std::string read_all(const std::string& path) {
  auto r = berth::fs::read_file(path);
  return r ? *r : "<" + r.error().what() + ">";
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// What a tree shows: each path with its type, mode and content (or link target).
std::map<std::string, std::string> view(const std::string& root) {
  std::map<std::string, std::string> out;
  for (auto it = std::filesystem::recursive_directory_iterator(root);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    std::string rel = it->path().string().substr(root.size() + 1);
    struct stat st;
    ::lstat(it->path().c_str(), &st);
    char mode[16];
    std::snprintf(mode, sizeof(mode), "%o", st.st_mode);
    std::string what = mode;
    if (S_ISREG(st.st_mode)) what += " " + read_all(it->path());
    if (S_ISLNK(st.st_mode)) what += " -> " + std::filesystem::read_symlink(it->path()).string();
    out[rel] = what;
  }
  return out;
}

struct Fixture {
  TempDir tmp;
  bool rootless;
  ImageStore store;
  std::list<MountGuard> mounts;

  explicit Fixture(bool rootless_layers = false)
      : rootless(rootless_layers),
        store(*ImageStore::open(tmp.path, StoreOptions{rootless_layers})) {}

  // Three layers: a whiteout, an opaque dir, a replaced file, a hard link, a symlink.
  berth_test::BuiltImage three_layers() {
    auto l1 = put_layer(
        store.content(),
        {file("a", "gone"), file("b", "old"), dir("d"), file("d/x", "x"), file("d/y", "y"),
         dir("keep"), file("keep/k", "k"), berth_test::symlink("link", "b"), file("h1", "linked"),
         hardlink("h2", "h1"), dir("deep"), dir("deep/er"), file("deep/er/f", "f")});
    auto l2 = put_layer(store.content(), {whiteout("a"), dir("d"), opaque("d"), file("d/z", "z"),
                                          file("new", "n"), whiteout("deep/er")});
    auto l3 =
        put_layer(store.content(), {file("b", "replaced", 0600), dir("c"), file("c/f", "cf")});
    auto image = put_image(store.content(), {l1, l2, l3});
    auto added = store.add(image.manifest, {"r/three:1"}, {});
    EXPECT_TRUE(added) << added.error().what();
    return image;
  }

  void expect_three_layer_view(const std::string& root) {
    EXPECT_FALSE(exists(root + "/a"));
    EXPECT_EQ(read_all(root + "/b"), "replaced");
    EXPECT_EQ(read_all(root + "/c/f"), "cf");
    EXPECT_FALSE(exists(root + "/d/x"));
    EXPECT_FALSE(exists(root + "/d/y"));
    EXPECT_EQ(read_all(root + "/d/z"), "z");
    EXPECT_EQ(read_all(root + "/keep/k"), "k");
    EXPECT_EQ(read_all(root + "/link"), "replaced");
    EXPECT_EQ(read_all(root + "/new"), "n");
    EXPECT_TRUE(exists(root + "/deep"));
    EXPECT_FALSE(exists(root + "/deep/er"));
    struct stat s1, s2;
    ASSERT_EQ(::stat((root + "/h1").c_str(), &s1), 0);
    ASSERT_EQ(::stat((root + "/h2").c_str(), &s2), 0);
    EXPECT_EQ(s1.st_ino, s2.st_ino);
  }

  std::string target(const std::string& name) {
    std::string t = tmp.at(name);
    ::mkdir(t.c_str(), 0755);
    return t;
  }
  void guard(const std::string& t) { mounts.emplace_back(t); }
};

#define REQUIRE_ROOT() \
  if (::geteuid() != 0) GTEST_SKIP() << "mounting needs root"

TEST(Snapshotter, KindNames) {
  EXPECT_EQ(to_string(SnapshotterKind::overlay), "overlayfs");
  EXPECT_EQ(to_string(SnapshotterKind::overlay_userns), "overlayfs (user namespace)");
  EXPECT_EQ(to_string(SnapshotterKind::fuse_overlayfs), "fuse-overlayfs");
  EXPECT_EQ(to_string(SnapshotterKind::copy), "copy");
}

TEST(Snapshotter, OverlayOfThreeLayers) {
  REQUIRE_ROOT();
  Fixture f;
  auto image = f.three_layers();
  Snapshotter snaps(f.tmp.path, SnapshotterKind::overlay, f.store.layers());
  auto prepared = snaps.prepare("c1", image.chain_ids);
  ASSERT_TRUE(prepared) << prepared.error().what();
  auto ms = snaps.mounts("c1", "/target");
  ASSERT_TRUE(ms);
  ASSERT_EQ(ms->size(), 1u);
  EXPECT_EQ((*ms)[0].type, "overlay");
  EXPECT_EQ((*ms)[0].target, "/target");
  EXPECT_NE(std::find((*ms)[0].options.begin(), (*ms)[0].options.end(),
                      "upperdir=" + snaps.upper_path("c1")),
            (*ms)[0].options.end());
  std::string target = f.target("mnt");
  auto mounted = snaps.mount("c1", target);
  ASSERT_TRUE(mounted) << mounted.error().what();
  f.guard(target);
  f.expect_three_layer_view(target);
  ASSERT_TRUE(berth::fs::write_file_atomic(target + "/written", "w", 0644));
  EXPECT_EQ(read_all(snaps.upper_path("c1") + "/written"), "w");
  ASSERT_TRUE(snaps.unmount(target));
  EXPECT_FALSE(exists(target + "/b"));
  EXPECT_EQ(*snaps.list(), std::vector<std::string>{"c1"});
  auto removed = snaps.remove("c1");
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_TRUE(snaps.list()->empty());
  // Gone already (a create killed before its snapshot was in place): nothing to do.
  EXPECT_TRUE(snaps.remove("c1"));
}

TEST(Snapshotter, OverlayInUserNamespaceFormat) {
  REQUIRE_ROOT();
  Fixture f(/*rootless_layers=*/true);
  auto image = f.three_layers();
  Snapshotter snaps(f.tmp.path, SnapshotterKind::overlay_userns, f.store.layers());
  ASSERT_TRUE(snaps.prepare("c1", image.chain_ids));
  auto ms = snaps.mounts("c1", "/t");
  ASSERT_TRUE(ms);
  EXPECT_NE(std::find((*ms)[0].options.begin(), (*ms)[0].options.end(), "userxattr"),
            (*ms)[0].options.end());
  std::string target = f.target("mnt");
  auto mounted = snaps.mount("c1", target);
  if (!mounted) GTEST_SKIP() << mounted.error().what();
  f.guard(target);
  f.expect_three_layer_view(target);
  ASSERT_TRUE(snaps.unmount(target));
  ASSERT_TRUE(snaps.remove("c1"));
}

TEST(Snapshotter, CopyGivesTheSameView) {
  REQUIRE_ROOT();
  for (bool rootless_layers : {false, true}) {
    Fixture f(rootless_layers);
    auto image = f.three_layers();
    Snapshotter overlay(
        f.tmp.path, rootless_layers ? SnapshotterKind::overlay_userns : SnapshotterKind::overlay,
        f.store.layers());
    Snapshotter copy(f.tmp.path, SnapshotterKind::copy, f.store.layers());
    ASSERT_TRUE(overlay.prepare("o", image.chain_ids));
    auto prepared = copy.prepare("c", image.chain_ids);
    ASSERT_TRUE(prepared) << prepared.error().what();
    f.expect_three_layer_view(copy.upper_path("c"));
    std::string o_target = f.target("o-mnt");
    std::string c_target = f.target("c-mnt");
    ASSERT_TRUE(overlay.mount("o", o_target));
    f.guard(o_target);
    auto mounted = copy.mount("c", c_target);
    ASSERT_TRUE(mounted) << mounted.error().what();
    f.guard(c_target);
    EXPECT_EQ(view(o_target), view(c_target)) << "rootless layers: " << rootless_layers;
    ASSERT_TRUE(overlay.unmount(o_target));
    ASSERT_TRUE(copy.unmount(c_target));
    ASSERT_TRUE(overlay.remove("o"));
    ASSERT_TRUE(copy.remove("c"));
  }
}

// Unprivileged too: the copy needs no mount to be looked at.
TEST(Snapshotter, CopyShowsTheLayers) {
  Fixture f(::geteuid() != 0);
  auto image = f.three_layers();
  Snapshotter copy(f.tmp.path, SnapshotterKind::copy, f.store.layers());
  auto prepared = copy.prepare("c", image.chain_ids);
  ASSERT_TRUE(prepared) << prepared.error().what();
  f.expect_three_layer_view(copy.upper_path("c"));
  auto ms = copy.mounts("c", "/t");
  ASSERT_TRUE(ms);
  EXPECT_EQ((*ms)[0].type, "bind");
  EXPECT_EQ((*ms)[0].source, copy.upper_path("c"));
  ASSERT_TRUE(copy.remove("c"));
}

bool write_file(const char* path, const std::string& text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// As a rootless engine does: the mount happens in a user namespace of the caller's own.
TEST(Snapshotter, OverlayInAFreshUserNamespace) {
  Fixture f(/*rootless_layers=*/true);
  auto image = f.three_layers();
  Snapshotter snaps(f.tmp.path, SnapshotterKind::overlay_userns, f.store.layers());
  ASSERT_TRUE(snaps.prepare("c1", image.chain_ids));
  std::string target = f.target("mnt");
  std::string uid_map = "0 " + std::to_string(::geteuid()) + " 1\n";
  std::string gid_map = "0 " + std::to_string(::getegid()) + " 1\n";
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) ::_exit(10);
    if (!write_file("/proc/self/setgroups", "deny") || !write_file("/proc/self/uid_map", uid_map) ||
        !write_file("/proc/self/gid_map", gid_map))
      ::_exit(11);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) ::_exit(12);
    if (!snaps.mount("c1", target)) ::_exit(13);
    if (exists(target + "/a") || read_all(target + "/b") != "replaced" || exists(target + "/d/x") ||
        read_all(target + "/d/z") != "z")
      ::_exit(14);
    if (!berth::fs::write_file_atomic(target + "/written", "w", 0644)) ::_exit(15);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) >= 10 && WEXITSTATUS(status) <= 12)
    GTEST_SKIP() << "no user namespace here (step " << WEXITSTATUS(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(read_all(snaps.upper_path("c1") + "/written"), "w");
  EXPECT_FALSE(exists(target + "/b"));  // the mount went with the child's namespace
  ASSERT_TRUE(snaps.remove("c1"));
}

struct ManyLayers {
  Fixture f;
  berth_test::BuiltImage image;
  explicit ManyLayers(int n) {
    std::vector<Layer> layers;
    for (int i = 0; i < n; ++i) {
      std::vector<Entry> entries{file("f" + std::to_string(i), std::to_string(i))};
      if (i == n - 1) entries.push_back(whiteout("f0"));
      layers.push_back(put_layer(f.store.content(), entries));
    }
    image = put_image(f.store.content(), layers);
    auto added = f.store.add(image.manifest, {"r/many:1"}, {});
    EXPECT_TRUE(added) << added.error().what();
  }
  void expect_view(const std::string& root, int n) {
    EXPECT_FALSE(exists(root + "/f0"));
    for (int i = 1; i < n; ++i)
      EXPECT_EQ(read_all(root + "/f" + std::to_string(i)), std::to_string(i));
  }
};

TEST(Snapshotter, OverlayOf120Layers) {
  REQUIRE_ROOT();
  ManyLayers m(120);
  Snapshotter snaps(m.f.tmp.path, SnapshotterKind::overlay, m.f.store.layers());
  ASSERT_TRUE(snaps.prepare("many", m.image.chain_ids));
  std::string target = m.f.target("mnt");
  auto mounted = snaps.mount("many", target);
  ASSERT_TRUE(mounted) << mounted.error().what();
  m.f.guard(target);
  m.expect_view(target, 120);
  ASSERT_TRUE(snaps.unmount(target));
  ASSERT_TRUE(snaps.remove("many"));
}

// Each way of passing many layers to the kernel, on its own.
TEST(Snapshotter, ManyLayersByFsconfigAndByShortLinks) {
  REQUIRE_ROOT();
  ManyLayers m(120);
  Snapshotter snaps(m.f.tmp.path, SnapshotterKind::overlay, m.f.store.layers());
  for (const std::string key : {"by-fsconfig", "by-links"}) {
    ASSERT_TRUE(snaps.prepare(key, m.image.chain_ids));
    overlay_mount::Spec spec;
    for (auto it = m.image.chain_ids.rbegin(); it != m.image.chain_ids.rend(); ++it)
      spec.lowers.push_back(m.f.store.layers().diff_path(*it));
    spec.upper = snaps.upper_path(key);
    spec.work = m.f.tmp.at("snapshots/" + key + "/work");
    EXPECT_FALSE(overlay_mount::mount_with_data(spec, m.f.target("unused")));
    std::string target = m.f.target(key);
    auto mounted = key == "by-links" ? overlay_mount::mount_with_links(
                                           spec, target, m.f.tmp.at("snapshots/" + key + "/l"))
                                     : overlay_mount::mount_with_fsconfig(spec, target);
    if (!mounted && key == "by-fsconfig" && mounted.error().errno_value == EINVAL)
      GTEST_SKIP() << "no lowerdir+ before Linux 6.8: " << mounted.error().what();
    ASSERT_TRUE(mounted) << mounted.error().what();
    m.f.guard(target);
    m.expect_view(target, 120);
    ASSERT_TRUE(snaps.unmount(target));
    ASSERT_TRUE(snaps.remove(key));
  }
}

bool fuse_usable(std::string& why) {
  if (::access("/usr/bin/fuse-overlayfs", X_OK) < 0) {
    why = "no /usr/bin/fuse-overlayfs";
    return false;
  }
  int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    why = std::string("open /dev/fuse: ") + std::strerror(errno);
    return false;
  }
  ::close(fd);
  return true;
}

TEST(Snapshotter, FuseOverlayfs) {
  std::string why;
  if (!fuse_usable(why)) GTEST_SKIP() << why;
  REQUIRE_ROOT();
  Fixture f;
  auto image = f.three_layers();
  Snapshotter snaps(f.tmp.path, SnapshotterKind::fuse_overlayfs, f.store.layers());
  ASSERT_TRUE(snaps.prepare("fuse", image.chain_ids));
  auto ms = snaps.mounts("fuse", "/t");
  ASSERT_TRUE(ms);
  EXPECT_EQ((*ms)[0].type, "fuse3.fuse-overlayfs");
  std::string target = f.target("mnt");
  auto mounted = snaps.mount("fuse", target);
  if (!mounted) GTEST_SKIP() << "fuse-overlayfs does not mount here: " << mounted.error().what();
  f.guard(target);
  f.expect_three_layer_view(target);
  ASSERT_TRUE(berth::fs::write_file_atomic(target + "/written", "w", 0644));
  EXPECT_EQ(read_all(snaps.upper_path("fuse") + "/written"), "w");
  auto unmounted = snaps.unmount(target);
  ASSERT_TRUE(unmounted) << unmounted.error().what();
  ASSERT_TRUE(snaps.remove("fuse"));
}

TEST(Snapshotter, PrepareRefusesBadKeysDuplicatesAndMissingLayers) {
  Fixture f(::geteuid() != 0);
  auto layer = put_layer(f.store.content(), {file("a", "1")});
  auto image = put_image(f.store.content(), {layer});
  ASSERT_TRUE(f.store.add(image.manifest, {"r/x:1"}, {}));
  Snapshotter snaps(f.tmp.path, SnapshotterKind::copy, f.store.layers());
  for (const std::string& key :
       std::vector<std::string>{"", "../x", ".hidden", "a/b", std::string(200, 'k')})
    EXPECT_FALSE(snaps.prepare(key, image.chain_ids)) << key;
  ASSERT_TRUE(snaps.prepare("one", image.chain_ids));
  auto dup = snaps.prepare("one", image.chain_ids);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().errno_value, EEXIST);
  auto missing = snaps.prepare("two", {berth::image::sha256_of("no layer")});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().what().find("is not unpacked"), std::string::npos);
  EXPECT_EQ(*snaps.list(), std::vector<std::string>{"one"});
  EXPECT_EQ(*snaps.layers("one"), image.chain_ids);
  ASSERT_TRUE(snaps.remove("one"));
}

TEST(Snapshotter, RemoveNeverFollowsSymlinks) {
  Fixture f(::geteuid() != 0);
  auto layer = put_layer(f.store.content(), {file("a", "1")});
  auto image = put_image(f.store.content(), {layer});
  ASSERT_TRUE(f.store.add(image.manifest, {"r/x:1"}, {}));
  Snapshotter snaps(f.tmp.path, SnapshotterKind::overlay, f.store.layers());
  ASSERT_TRUE(snaps.prepare("c", image.chain_ids));
  std::string outside = f.target("outside");
  ASSERT_TRUE(berth::fs::write_file_atomic(outside + "/precious", "p", 0644));
  ASSERT_EQ(::symlink(outside.c_str(), (snaps.upper_path("c") + "/escape").c_str()), 0);
  ASSERT_EQ(::symlink((outside + "/precious").c_str(), (snaps.upper_path("c") + "/file").c_str()),
            0);
  ASSERT_TRUE(snaps.remove("c"));
  EXPECT_EQ(read_all(outside + "/precious"), "p");
  EXPECT_FALSE(exists(f.tmp.at("snapshots/c")));
}

// Layers a snapshot stands on outlive their image until the snapshot goes.
TEST(Snapshotter, SnapshotsPinTheirLayersAgainstGc) {
  Fixture f(::geteuid() != 0);
  auto layer = put_layer(f.store.content(), {file("a", "1")});
  auto image = put_image(f.store.content(), {layer});
  ASSERT_TRUE(f.store.add(image.manifest, {"r/x:1"}, {}));
  Snapshotter snaps(f.tmp.path, SnapshotterKind::overlay, f.store.layers());
  ASSERT_TRUE(snaps.prepare("c", image.chain_ids));
  ASSERT_TRUE(f.store.remove("r/x:1", false));
  auto report = f.store.gc();
  ASSERT_TRUE(report) << report.error().what();
  EXPECT_EQ(report->layers_removed, 0u);
  EXPECT_TRUE(f.store.layers().has(image.chain_ids[0]));
  ASSERT_TRUE(snaps.remove("c"));
  report = f.store.gc();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->layers_removed, 1u);
  EXPECT_FALSE(f.store.layers().has(image.chain_ids[0]));
}

TEST(Snapshotter, DetectCachesItsAnswer) {
  TempDir dir;
  bool rootless = ::geteuid() != 0;
  auto kind = berth::image::detect_snapshotter(dir.path, rootless);
  ASSERT_TRUE(kind) << kind.error().what();
  if (!rootless) {
    EXPECT_EQ(*kind, SnapshotterKind::overlay);
  }
  auto cached = read_all(dir.at("snapshots/.kind"));
  EXPECT_EQ(cached.substr(0, cached.find('\n')), to_string(*kind));
  // No probe dirs stay behind.
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.at("snapshots"))) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
  EXPECT_EQ(*berth::image::detect_snapshotter(dir.path, rootless), *kind);
}

TEST(Snapshotter, DetectForRootlessProbesAUserNamespace) {
  TempDir dir;
  auto kind = berth::image::detect_snapshotter(dir.path, true);
  ASSERT_TRUE(kind) << kind.error().what();
  EXPECT_NE(*kind, SnapshotterKind::overlay);
  std::cerr << "rootless snapshotter here: " << to_string(*kind) << "\n";
}

}  // namespace
