#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <fstream>

#include "base/fs.hpp"
#include "child_status.hpp"
#include "engine/container_names.hpp"
#include "engine/container_store.hpp"
#include "engine/volume_options.hpp"
#include "engine/volume_store.hpp"
#include "engine/volume_users.hpp"

using berth::engine::VolumeLabelFilter;
using berth::engine::VolumeRecord;
using berth::engine::VolumeService;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/berth-volumes-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)berth::fs::remove_all(path); }
};

VolumeService open_service(const TempDir& root) {
  auto s = VolumeService::open(root.path + "/data");
  EXPECT_TRUE(s.has_value()) << s.error().what();
  return std::move(*s);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string read_file(const std::string& path) {
  auto r = berth::fs::read_file(path);
  return r ? *r : "<" + r.error().what() + ">";
}

}  // namespace

TEST(VolumeNames, DockersRule) {
  for (const char* ok : {"ab", "data", "my.vol-1_x", "0abc", "A9"})
    EXPECT_TRUE(berth::engine::check_volume_name(ok)) << ok;
  for (const char* bad : {"-ab", ".ab", "_ab", "a/b", "a b", "..", "x:y", "é"})
    EXPECT_FALSE(berth::engine::check_volume_name(bad)) << bad;
  auto e = berth::engine::check_volume_name("a/b");
  EXPECT_EQ(e.error().what(),
            "\"a/b\" includes invalid characters for a local volume name, only "
            "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, "
            "use absolute path");
  EXPECT_NE(berth::engine::check_volume_name("a").error().what().find("too short"),
            std::string::npos);
}

TEST(VolumeStore, CreateGetListAndIdempotentCreate) {
  TempDir root;
  auto vs = open_service(root);
  auto v = vs.create("data", "", {}, {{"team", "db"}});
  ASSERT_TRUE(v) << v.error().what();
  EXPECT_EQ(v->name, "data");
  EXPECT_EQ(v->driver, "local");
  EXPECT_EQ(v->mountpoint, root.path + "/data/volumes/data/_data");
  EXPECT_FALSE(v->anonymous);
  EXPECT_FALSE(v->created.empty());
  struct stat st;
  ASSERT_EQ(::stat(v->mountpoint.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));

  // Again, with other labels and no options: the volume as it was.
  auto again = vs.create("data", "local", {}, {{"other", "x"}});
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(again->created, v->created);
  EXPECT_EQ(again->labels, (std::map<std::string, std::string>{{"team", "db"}}));

  auto tmp = vs.create("tmp", "", {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m"}}, {});
  ASSERT_TRUE(tmp) << tmp.error().what();
  EXPECT_TRUE(vs.create("tmp", "", {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m"}}, {}));
  EXPECT_TRUE(vs.create("tmp", "", {}, {}));
  auto conflict = vs.create("tmp", "", {{"type", "tmpfs"}, {"device", "tmpfs"}}, {});
  ASSERT_FALSE(conflict);
  EXPECT_NE(conflict.error().what().find("create tmp: volume name must be unique"),
            std::string::npos)
      << conflict.error().what();
  EXPECT_FALSE(vs.create("data", "", {{"type", "tmpfs"}, {"device", "tmpfs"}}, {}));

  auto list = vs.list();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "data");
  EXPECT_EQ((*list)[1].name, "tmp");
  EXPECT_EQ((*list)[1].options.at("o"), "size=1m");

  // A second service on the same root (another process) sees the same records.
  auto other = open_service(root);
  auto got = other.get("tmp");
  ASSERT_TRUE(got) << got.error().what();
  EXPECT_EQ(got->options, tmp->options);
  EXPECT_EQ(other.get("nope").error().what(), "No such volume: nope");
  EXPECT_FALSE(other.find("nope")->has_value());
}

TEST(VolumeStore, AnonymousDriversAndOptionErrors) {
  TempDir root;
  auto vs = open_service(root);
  auto anon = vs.create("", "", {}, {});
  ASSERT_TRUE(anon) << anon.error().what();
  EXPECT_EQ(anon->name.size(), 64u);
  EXPECT_EQ(anon->name.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_TRUE(anon->anonymous);
  EXPECT_TRUE(anon->labels.contains(berth::engine::kVolumeAnonymousLabel));
  EXPECT_TRUE(vs.get(anon->name)->anonymous);

  auto plugin = vs.create("x1", "flocker", {}, {});
  ASSERT_FALSE(plugin);
  EXPECT_NE(plugin.error().what().find("plugin \"flocker\" not found"), std::string::npos);

  auto bad_key = vs.create("x1", "", {{"foo", "bar"}}, {});
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().what(), "create x1: invalid option: \"foo\"");
  auto missing = vs.create("x1", "", {{"device", "/dev/sdz"}}, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().what(), "create x1: missing required option: \"type\"");
  EXPECT_FALSE(vs.create("x1", "", {{"o", "ro"}, {"type", "tmpfs"}}, {}));
  EXPECT_FALSE(vs.create("x1", "", {{"size", "10m"}}, {}));
  EXPECT_TRUE(vs.create("x1", "", {{"size", "0"}}, {}));
  EXPECT_TRUE(vs.create("nfs1", "",
                        {{"type", "nfs"}, {"device", ":/export"}, {"o", "addr=10.0.0.1,rw"}}, {}));
  auto bad_name = vs.create("../up", "", {}, {});
  ASSERT_FALSE(bad_name);
  EXPECT_TRUE(bad_name.error().what().starts_with("create ../up: \"../up\" includes invalid"));
  EXPECT_FALSE(berth::fs::exists(root.path + "/data/up"));
}

TEST(VolumeOptions, OSplitsLikeMount8) {
  auto m = berth::engine::local_volume_mount(
      {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "ro,nosuid,size=1m,uid=1000,nodev,noexec"}});
  ASSERT_TRUE(m) << m.error().what();
  EXPECT_EQ(m->flags, static_cast<unsigned long>(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
  EXPECT_EQ(m->data, "size=1m,uid=1000");
  EXPECT_FALSE(m->bind);
  auto b =
      berth::engine::local_volume_mount({{"type", "none"}, {"device", "/srv"}, {"o", "bind,ro"}});
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->bind);
  EXPECT_EQ(b->flags, static_cast<unsigned long>(MS_BIND | MS_RDONLY));
  EXPECT_EQ(b->source, "/srv");
  auto r =
      berth::engine::local_volume_mount({{"type", "none"}, {"device", "/srv"}, {"o", "rbind"}});
  EXPECT_EQ(r->flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_FALSE(berth::engine::local_volume_needs_mount({}));
  EXPECT_TRUE(berth::engine::local_volume_needs_mount({{"type", "tmpfs"}, {"device", "tmpfs"}}));
}

TEST(VolumeStore, RemoveInUseMissingAndForce) {
  TempDir root;
  auto vs = open_service(root);
  auto v = vs.create("data", "", {}, {});
  ASSERT_TRUE(v);
  write_file(v->mountpoint + "/f", "x");
  auto in_use = vs.remove("data", false, {"aaa", "bbb"});
  ASSERT_FALSE(in_use);
  EXPECT_EQ(in_use.error().what(), "remove data: volume is in use - [aaa, bbb]");
  EXPECT_FALSE(vs.remove("data", true, {"aaa"}));
  EXPECT_TRUE(berth::fs::exists(v->mountpoint + "/f"));

  ASSERT_TRUE(vs.remove("data", false, {}));
  EXPECT_FALSE(berth::fs::exists(root.path + "/data/volumes/data"));
  EXPECT_FALSE(vs.find("data")->has_value());
  auto missing = vs.remove("data", false, {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().what(), "get data: no such volume");
  EXPECT_TRUE(vs.remove("data", true, {}));
}

TEST(VolumeStore, PruneTakesUnusedAnonymousOrAllWithLabels) {
  TempDir root;
  auto vs = open_service(root);
  auto anon1 = *vs.create("", "", {}, {});
  auto anon2 = *vs.create("", "", {}, {});
  ASSERT_TRUE(vs.create("keep", "", {}, {{"env", "prod"}}));
  ASSERT_TRUE(vs.create("scratch", "", {}, {{"env", "test"}}));
  ASSERT_TRUE(vs.create("plain", "", {}, {}));
  write_file(anon1.mountpoint + "/blob", std::string(1500, 'x'));
  ::mkdir((anon1.mountpoint + "/d").c_str(), 0755);
  write_file(anon1.mountpoint + "/d/small", "12345");
  ::link((anon1.mountpoint + "/d/small").c_str(), (anon1.mountpoint + "/d/again").c_str());
  ::symlink("blob", (anon1.mountpoint + "/ln").c_str());
  EXPECT_EQ(*vs.volume_size(anon1), 1500u + 5u + 4u);

  auto report = vs.prune({}, false, {anon2.name});
  ASSERT_TRUE(report) << report.error().what();
  EXPECT_EQ(report->deleted, std::vector<std::string>{anon1.name});
  EXPECT_EQ(report->reclaimed, 1509u);
  EXPECT_TRUE(vs.find(anon2.name)->has_value());
  EXPECT_TRUE(vs.find("plain")->has_value());

  report = vs.prune({VolumeLabelFilter{"env", "test", false}}, true, {});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->deleted, std::vector<std::string>{"scratch"});
  report = vs.prune({VolumeLabelFilter{"env", std::nullopt, true}}, true, {anon2.name});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->deleted, std::vector<std::string>{"plain"});
  report = vs.prune({}, true, {});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->deleted.size(), 2u);
  EXPECT_TRUE(vs.list()->empty());
}

TEST(VolumeUsers, BindsMountsAndStateMounts) {
  TempDir root;
  auto containers = berth::engine::ContainerStore::open(root.path + "/data");
  ASSERT_TRUE(containers) << containers.error().what();
  auto make = [&](const std::string& name, nlohmann::json host, nlohmann::json state) {
    berth::engine::ContainerRecord r;
    r.id = berth::engine::new_container_id();
    r.name = name;
    r.image = "busybox";
    r.image_id = "sha256:" + std::string(64, 'a');
    r.created = "2026-11-26T10:00:00.000000000Z";
    r.host_config = std::move(host);
    r.state = std::move(state);
    auto created = containers->create(r);
    EXPECT_TRUE(created) << created.error().what();
    return created ? created->id : std::string();
  };
  std::string a = make("ca", {{"Binds", {"data:/data:ro", "/host:/host", "./rel:/x"}}}, {});
  std::string b =
      make("cb",
           {{"Mounts", nlohmann::json::array({
                           {{"Type", "volume"}, {"Source", "data"}, {"Target", "/d"}},
                           {{"Type", "bind"}, {"Source", "/srv"}, {"Target", "/srv"}},
                       })}},
           {{"Mounts", nlohmann::json::array({{{"Type", "volume"}, {"Name", "anon123"}}})}});
  auto users = berth::engine::containers_using_volume(*containers, "data");
  ASSERT_TRUE(users);
  EXPECT_EQ(users->size(), 2u);
  EXPECT_EQ(*berth::engine::containers_using_volume(*containers, "anon123"),
            std::vector<std::string>{b});
  EXPECT_TRUE(berth::engine::containers_using_volume(*containers, "/host")->empty());
  auto all = berth::engine::volume_users(*containers);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
  EXPECT_FALSE(all->contains("/host"));
  (void)a;
}

namespace {

// A rootfs whose /data holds what an image would put there, and a volume to copy it into.
struct CopyUpFixture : ::testing::Test {
  TempDir root;
  TempDir rootfs;
  VolumeService vs = open_service(root);
  berth::unique_fd rootfs_fd;

  void SetUp() override {
    int fd = ::open(rootfs.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    rootfs_fd.reset(fd);
  }
  std::string in_root(const std::string& p) { return rootfs.path + p; }
};

}  // namespace

TEST_F(CopyUpFixture, CopiesFilesDirsLinksModesAndTimes) {
  ASSERT_EQ(::mkdir(in_root("/data").c_str(), 0750), 0);
  ASSERT_EQ(::mkdir(in_root("/data/sub").c_str(), 0700), 0);
  write_file(in_root("/data/conf"), "hello");
  ASSERT_EQ(::chmod(in_root("/data/conf").c_str(), 0640), 0);
  write_file(in_root("/data/sub/inner"), "inner");
  ASSERT_EQ(::link(in_root("/data/conf").c_str(), in_root("/data/sub/hard").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", in_root("/data/abs").c_str()), 0);
  ASSERT_EQ(::mkfifo(in_root("/data/fifo").c_str(), 0600), 0);
  struct timespec times[2] = {{1000000000, 0}, {1000000000, 500}};
  ASSERT_EQ(::utimensat(AT_FDCWD, in_root("/data/conf").c_str(), times, 0), 0);
  bool root_user = ::geteuid() == 0;
  if (root_user) {
    ASSERT_EQ(::lchown(in_root("/data/sub/inner").c_str(), 1234, 5678), 0);
  }

  auto v = *vs.create("data", "", {}, {});
  auto done = vs.copy_up(v, rootfs_fd.get(), "/data");
  ASSERT_TRUE(done) << done.error().what();
  EXPECT_EQ(read_file(v.mountpoint + "/conf"), "hello");
  EXPECT_EQ(read_file(v.mountpoint + "/sub/inner"), "inner");
  struct stat st, st2;
  ASSERT_EQ(::stat((v.mountpoint + "/conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 500);
  ASSERT_EQ(::stat((v.mountpoint + "/sub/hard").c_str(), &st2), 0);
  EXPECT_EQ(st.st_ino, st2.st_ino);
  ASSERT_EQ(::stat((v.mountpoint + "/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::stat(v.mountpoint.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);  // the volume root takes the image folder's mode
  char target[64] = {};
  ASSERT_GT(::readlink((v.mountpoint + "/abs").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "/etc/passwd");
  ASSERT_EQ(::lstat((v.mountpoint + "/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  if (root_user) {
    ASSERT_EQ(::lstat((v.mountpoint + "/sub/inner").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 5678u);
  }

  // Not empty any more: a second copy (another container, a changed image) copies nothing.
  write_file(in_root("/data/later"), "later");
  ASSERT_TRUE(vs.copy_up(v, rootfs_fd.get(), "/data"));
  EXPECT_FALSE(berth::fs::exists(v.mountpoint + "/later"));
}

TEST_F(CopyUpFixture, MissingPathOrFileCopiesNothing) {
  auto v = *vs.create("data", "", {}, {});
  EXPECT_TRUE(vs.copy_up(v, rootfs_fd.get(), "/nowhere/at/all"));
  write_file(in_root("/file"), "x");
  EXPECT_TRUE(vs.copy_up(v, rootfs_fd.get(), "/file"));
  berth::unique_fd data(::open(v.mountpoint.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_TRUE(berth::fs::names_at(data.get(), "v")->empty());
}

TEST_F(CopyUpFixture, HostileSymlinksStayInTheRoot) {
  // /data -> /etc and /up -> ../../../../etc: both must resolve inside the rootfs, whose etc holds
  // only a marker, never the host's passwd.
  ASSERT_EQ(::symlink("/etc", in_root("/data").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../../etc", in_root("/up").c_str()), 0);
  auto v = *vs.create("data", "", {}, {});
  ASSERT_TRUE(vs.copy_up(v, rootfs_fd.get(), "/data"));
  EXPECT_FALSE(berth::fs::exists(v.mountpoint + "/passwd"));

  ASSERT_EQ(::mkdir(in_root("/etc").c_str(), 0755), 0);
  write_file(in_root("/etc/marker"), "mine");
  ASSERT_TRUE(vs.copy_up(v, rootfs_fd.get(), "/data"));
  ASSERT_TRUE(vs.copy_up(v, rootfs_fd.get(), "/up"));
  EXPECT_EQ(read_file(v.mountpoint + "/marker"), "mine");
  EXPECT_FALSE(berth::fs::exists(v.mountpoint + "/passwd"));

  // The volume's own folder replaced by a symlink to a host folder: nothing is written there.
  TempDir host;
  auto w = *vs.create("other", "", {}, {});
  ASSERT_EQ(berth::fs::remove_all(w.mountpoint).has_value(), true);
  ASSERT_EQ(::symlink(host.path.c_str(), w.mountpoint.c_str()), 0);
  EXPECT_FALSE(vs.copy_up(w, rootfs_fd.get(), "/etc"));
  EXPECT_FALSE(berth::fs::exists(host.path + "/marker"));
}

TEST(VolumeMount, TmpfsAndBindInAPrivateMountNamespace) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting needs root";
  TempDir root;
  TempDir host;
  write_file(host.path + "/from-host", "h");
  auto vs = open_service(root);
  auto tmp = *vs.create("tmp", "",
                        {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m,uid=1000"}}, {});
  auto bind =
      *vs.create("bnd", "", {{"type", "none"}, {"device", host.path}, {"o", "bind,ro"}}, {});
  auto plain = *vs.create("plain", "", {}, {});
  int status = run_in_child([&]() -> int {
    if (::unshare(CLONE_NEWNS) < 0) return 10;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) return 11;
    auto p = vs.mount(tmp);
    if (!p || *p != tmp.mountpoint) return 12;
    struct statfs sfs;
    if (::statfs(p->c_str(), &sfs) < 0 || sfs.f_type != TMPFS_MAGIC) return 13;
    struct stat st;
    if (::stat(p->c_str(), &st) < 0 || st.st_uid != 1000) return 14;
    if (!vs.mount(tmp)) return 15;  // mounted already: nothing more
    if (!vs.unmount(tmp)) return 16;
    if (::statfs(p->c_str(), &sfs) < 0 || sfs.f_type == TMPFS_MAGIC) return 17;
    if (!vs.unmount(tmp)) return 18;  // not mounted: nothing

    auto b = vs.mount(bind);
    if (!b) return 20;
    if (::access((*b + "/from-host").c_str(), F_OK) < 0) return 21;
    int fd = ::open((*b + "/new").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0 || errno != EROFS) return 22;
    if (!vs.unmount(bind)) return 23;
    if (::access((*b + "/from-host").c_str(), F_OK) == 0) return 24;

    auto q = vs.mount(plain);
    if (!q || *q != plain.mountpoint) return 30;
    auto bad = *vs.create("bad", "", {{"type", "nosuchfs"}, {"device", "x"}}, {});
    auto failed = vs.mount(bad);
    if (failed) return 31;
    if (failed.error().what().find("mount volume bad (type=nosuchfs") == std::string::npos)
      return 32;
    return 0;
  });
  EXPECT_EQ(status, 0) << describe_status(status);
  // Nothing leaked into the test's own mount namespace.
  struct statfs sfs;
  ASSERT_EQ(::statfs(tmp.mountpoint.c_str(), &sfs), 0);
  EXPECT_NE(sfs.f_type, TMPFS_MAGIC);
  EXPECT_FALSE(berth::fs::exists(bind.mountpoint + "/from-host"));
  EXPECT_TRUE(vs.remove("bnd", false, {}));
  EXPECT_TRUE(berth::fs::exists(host.path + "/from-host"));
}

TEST(VolumeMount, RemoveRefusesAVolumeStillMounted) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting needs root";
  TempDir root;
  TempDir host;
  write_file(host.path + "/precious", "p");
  auto vs = open_service(root);
  auto bind = *vs.create("bnd", "", {{"type", "none"}, {"device", host.path}, {"o", "bind"}}, {});
  int status = run_in_child([&]() -> int {
    if (::unshare(CLONE_NEWNS) < 0) return 10;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) return 11;
    if (!vs.mount(bind)) return 12;
    // A second bind on top: unmount takes one, and remove must still not delete through the rest.
    if (::mount(host.path.c_str(), bind.mountpoint.c_str(), nullptr, MS_BIND, nullptr) < 0)
      return 13;
    auto sub = berth::engine::VolumeService::open(root.path + "/data");
    if (!sub) return 14;
    auto removed = sub->remove("bnd", false, {});
    if (removed) return 15;
    if (removed.error().what().find("is still a mount point") == std::string::npos) return 16;
    if (!sub->find("bnd").value_or(std::nullopt)) return 17;  // kept, to be removed again
    if (::access((host.path + "/precious").c_str(), F_OK) < 0) return 18;
    return 0;
  });
  EXPECT_EQ(status, 0) << describe_status(status);
  EXPECT_TRUE(berth::fs::exists(host.path + "/precious"));
}
