#include "engine/container_archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"
#include "engine/host_copy.hpp"

namespace {

using berth::unique_fd;
namespace engine = berth::engine;
namespace fs = berth::fs;

// A container root and a host folder, side by side in one temp dir, so that an escape from the
// root would land in a place the test can see.
class ContainerArchive : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-cp-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    top_ = tmpl;
    root_path_ = top_ + "/root";
    host_ = top_ + "/host";
    ASSERT_EQ(::mkdir(root_path_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(host_.c_str(), 0755), 0);
    root_.reset(::open(root_path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_.valid());
  }
  void TearDown() override {
    root_.reset();
    (void)fs::remove_all(top_);
  }

  std::string in_root(const std::string& rel) const { return root_path_ + "/" + rel; }
  std::string on_host(const std::string& rel) const { return host_ + "/" + rel; }
  std::string outside(const std::string& rel) const { return top_ + "/" + rel; }

  static void write(const std::string& path, const std::string& data, mode_t mode = 0644) {
    ASSERT_TRUE(fs::mkdir_p(fs::dirname(path), 0755));
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    ASSERT_TRUE(fd.valid()) << path;
    ASSERT_EQ(::write(fd.get(), data.data(), data.size()), static_cast<ssize_t>(data.size()));
    ASSERT_EQ(::fchmod(fd.get(), mode), 0);
  }
  static void mkdir(const std::string& path) { ASSERT_TRUE(fs::mkdir_p(path, 0755)); }
  static void symlink(const std::string& target, const std::string& path) {
    ASSERT_TRUE(fs::mkdir_p(fs::dirname(path), 0755));
    ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0) << path;
  }
  static std::string read(const std::string& path) {
    auto data = fs::read_file(path);
    return data ? *data : "<" + data.error().what() + ">";
  }
  static bool lexists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }

  std::string top_;
  std::string root_path_;
  std::string host_;
  unique_fd root_;
};

unique_fd memfd() {
  return unique_fd(::memfd_create("tar", MFD_CLOEXEC));
}

struct Listed {
  unsigned type = 0;
  mode_t perm = 0;
  std::string data;
  std::string symlink;
  std::string hardlink;
  int64_t uid = 0;
  time_t mtime = 0;
};

// The members of the tar in fd, by name, in order of appearance in names.
struct Listing {
  std::vector<std::string> names;
  std::map<std::string, Listed> entries;
};

Listing list_tar(int fd) {
  Listing out;
  ::lseek(fd, 0, SEEK_SET);
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_fd(a, fd, 65536), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Listed l;
    l.type = archive_entry_filetype(e);
    l.perm = archive_entry_perm(e);
    l.uid = archive_entry_uid(e);
    l.mtime = archive_entry_mtime(e);
    if (archive_entry_symlink(e) != nullptr) l.symlink = archive_entry_symlink(e);
    if (archive_entry_hardlink(e) != nullptr) l.hardlink = archive_entry_hardlink(e);
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
      l.data.append(buf, static_cast<size_t>(n));
    std::string name = archive_entry_pathname(e);
    out.names.push_back(name);
    out.entries[name] = l;
  }
  archive_read_free(a);
  return out;
}

struct Member {
  std::string name;
  unsigned type = AE_IFREG;
  std::string data;
  std::string link;  // symlink target, or hard link target with hardlink = true
  bool hardlink = false;
  mode_t perm = 0644;
  int64_t uid = 0;
  int64_t gid = 0;
};

Member file(std::string name, std::string data, mode_t perm = 0644) {
  return {std::move(name), AE_IFREG, std::move(data), "", false, perm};
}
Member dir(std::string name) {
  return {std::move(name), AE_IFDIR, "", "", false, 0755};
}
Member symlink_member(std::string name, std::string target) {
  return {std::move(name), AE_IFLNK, "", std::move(target), false, 0777};
}
Member hardlink_member(std::string name, std::string target) {
  return {std::move(name), AE_IFREG, "", std::move(target), true, 0644};
}

unique_fd tar_of(const std::vector<Member>& members) {
  unique_fd fd = memfd();
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  EXPECT_EQ(archive_write_open_fd(a, fd.get()), ARCHIVE_OK);
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_filetype(e, m.type);
    archive_entry_set_perm(e, m.perm);
    archive_entry_set_uid(e, m.uid);
    archive_entry_set_gid(e, m.gid);
    archive_entry_set_mtime(e, 1700000000, 0);
    if (m.hardlink) {
      archive_entry_set_hardlink(e, m.link.c_str());
      archive_entry_set_size(e, 0);
    } else if (m.type == AE_IFLNK) {
      archive_entry_set_symlink(e, m.link.c_str());
    } else if (m.type == AE_IFREG) {
      archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
    }
    EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (!m.data.empty()) archive_write_data(a, m.data.data(), m.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

engine::ExtractOptions as_caller() {
  engine::ExtractOptions opts;
  opts.uid = ::geteuid();
  opts.gid = ::getegid();
  return opts;
}

// ---- archive_path: docker cp CONTAINER:SRC -

TEST_F(ContainerArchive, FileIsOneEntryNamedByItsBasename) {
  write(in_root("etc/hostname"), "box\n", 0640);
  unique_fd out = memfd();
  ASSERT_TRUE(engine::archive_path(root_.get(), "/etc/hostname", out.get()));
  auto tar = list_tar(out.get());
  ASSERT_EQ(tar.names, std::vector<std::string>{"hostname"});
  EXPECT_EQ(tar.entries["hostname"].data, "box\n");
  EXPECT_EQ(tar.entries["hostname"].perm, 0640u);
  EXPECT_EQ(tar.entries["hostname"].type, static_cast<unsigned>(AE_IFREG));
}

TEST_F(ContainerArchive, DirectoryEntriesComeUnderItsBasename) {
  write(in_root("srv/data/a"), "A");
  write(in_root("srv/data/sub/b"), "B", 0600);
  symlink("a", in_root("srv/data/link"));
  ASSERT_EQ(::link(in_root("srv/data/a").c_str(), in_root("srv/data/sub/hard").c_str()), 0);
  unique_fd out = memfd();
  ASSERT_TRUE(engine::archive_path(root_.get(), "srv/data", out.get()));
  auto tar = list_tar(out.get());
  EXPECT_EQ(tar.names, (std::vector<std::string>{"data/", "data/a", "data/link", "data/sub/",
                                                 "data/sub/b", "data/sub/hard"}));
  EXPECT_EQ(tar.entries["data/link"].symlink, "a");
  EXPECT_EQ(tar.entries["data/sub/hard"].hardlink, "data/a");
  EXPECT_EQ(tar.entries["data/sub/b"].perm, 0600u);
}

TEST_F(ContainerArchive, TrailingDotGivesTheContentOnly) {
  write(in_root("srv/a"), "A");
  unique_fd out = memfd();
  ASSERT_TRUE(engine::archive_path(root_.get(), "/srv/.", out.get()));
  EXPECT_EQ(list_tar(out.get()).names, (std::vector<std::string>{"./", "./a"}));
}

TEST_F(ContainerArchive, FinalSymlinkIsCopiedUnlessFollowed) {
  write(in_root("etc/real"), "content");
  symlink("/etc/real", in_root("link"));
  unique_fd out = memfd();
  ASSERT_TRUE(engine::archive_path(root_.get(), "/link", out.get()));
  auto tar = list_tar(out.get());
  ASSERT_EQ(tar.names, std::vector<std::string>{"link"});
  EXPECT_EQ(tar.entries["link"].symlink, "/etc/real");

  unique_fd followed = memfd();
  engine::ArchiveOptions opts;
  opts.follow_link = true;
  ASSERT_TRUE(engine::archive_path(root_.get(), "/link", followed.get(), opts));
  auto target = list_tar(followed.get());
  ASSERT_EQ(target.names, std::vector<std::string>{"real"});
  EXPECT_EQ(target.entries["real"].data, "content");
}

TEST_F(ContainerArchive, SymlinksOnTheWayResolveInsideTheRoot) {
  // /escape points at the host's /etc through ".."; inside the root it is the root's /etc.
  write(in_root("etc/passwd"), "inside");
  symlink("../../../../../../etc", in_root("escape"));
  symlink("/", in_root("slash"));
  unique_fd out = memfd();
  ASSERT_TRUE(engine::archive_path(root_.get(), "/escape/passwd", out.get()));
  EXPECT_EQ(list_tar(out.get()).entries["passwd"].data, "inside");
  unique_fd out2 = memfd();
  ASSERT_TRUE(engine::archive_path(root_.get(), "/slash/../slash/etc/passwd", out2.get()));
  EXPECT_EQ(list_tar(out2.get()).entries["passwd"].data, "inside");
  auto resolved = engine::resolve_in_root(root_.get(), "/escape/passwd");
  ASSERT_TRUE(resolved);
  EXPECT_EQ(*resolved, "/etc/passwd");
}

TEST_F(ContainerArchive, MissingPathIsDockersMessage) {
  unique_fd out = memfd();
  auto status = engine::archive_path(root_.get(), "/nope", out.get());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().errno_value, ENOENT);
  EXPECT_EQ(engine::with_container_name(status.error(), "web").what(),
            "Could not find the file /nope in container web");
}

TEST_F(ContainerArchive, StatPathTellsTypeAndLinkTarget) {
  mkdir(in_root("var/lib"));
  symlink("../var/lib", in_root("opt/lib"));
  auto link = engine::stat_path(root_.get(), "/opt/lib");
  ASSERT_TRUE(link) << link.error().what();
  EXPECT_TRUE(S_ISLNK(link->mode));
  EXPECT_EQ(link->name, "lib");
  EXPECT_EQ(link->link_target, "/var/lib");
  auto followed = engine::stat_path(root_.get(), "/opt/lib/");
  ASSERT_TRUE(followed);
  EXPECT_TRUE(S_ISDIR(followed->mode));
  EXPECT_FALSE(engine::stat_path(root_.get(), "/opt/none"));
}

// ---- extract_to_path: docker cp - CONTAINER:DEST

TEST_F(ContainerArchive, ExtractCreatesEntriesUnderDest) {
  mkdir(in_root("dst"));
  auto tar = tar_of({dir("d/"), file("d/f", "F", 0751), symlink_member("d/l", "/etc/x"),
                     hardlink_member("d/h", "d/f"), file("deep/er/g", "G")});
  ASSERT_TRUE(engine::extract_to_path(root_.get(), "/dst", tar.get(), as_caller()));
  EXPECT_EQ(read(in_root("dst/d/f")), "F");
  EXPECT_EQ(read(in_root("dst/deep/er/g")), "G");
  struct stat st;
  ASSERT_EQ(::stat(in_root("dst/d/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0751u);
  EXPECT_EQ(st.st_mtime, 1700000000);
  EXPECT_EQ(st.st_nlink, 2u);
  char target[64] = {};
  ASSERT_GT(::readlink(in_root("dst/d/l").c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "/etc/x");
}

TEST_F(ContainerArchive, ExtractDestMustExistAsDirectory) {
  auto tar = tar_of({file("f", "F")});
  auto missing = engine::extract_to_path(root_.get(), "/nope", tar.get(), as_caller());
  ASSERT_FALSE(missing);
  EXPECT_EQ(engine::with_container_name(missing.error(), "c").what(),
            "Could not find the file /nope in container c");
  write(in_root("file"), "x");
  auto not_dir = engine::extract_to_path(root_.get(), "/file", tar.get(), as_caller());
  ASSERT_FALSE(not_dir);
  EXPECT_EQ(not_dir.error().what(), "extraction point is not a directory");
}

TEST_F(ContainerArchive, ExtractDestBehindSymlinkToSlashStaysInRoot) {
  // /p points at "/": the host's /tmp must not be reached, the root's /tmp is.
  mkdir(in_root("tmp"));
  symlink("/", in_root("p"));
  symlink("../../../../../../../", in_root("up"));
  const std::string name = "berth-cp-test-" + std::to_string(::getpid());
  auto tar = tar_of({file(name, "inside")});
  ASSERT_TRUE(engine::extract_to_path(root_.get(), "/p/tmp", tar.get(), as_caller()));
  EXPECT_EQ(read(in_root("tmp/" + name)), "inside");
  EXPECT_FALSE(lexists("/tmp/" + name));
  auto tar2 = tar_of({file(name + "-2", "inside")});
  ASSERT_TRUE(engine::extract_to_path(root_.get(), "/up/tmp", tar2.get(), as_caller()));
  EXPECT_EQ(read(in_root("tmp/" + name + "-2")), "inside");
  EXPECT_FALSE(lexists("/tmp/" + name + "-2"));
}

struct Hostile {
  const char* what;
  std::vector<Member> members;
};

TEST_F(ContainerArchive, HostileTarballsCannotLeaveTheDestination) {
  write(outside("secret"), "host secret");
  std::vector<Hostile> cases = {
      {"absolute name", {file("/abs", "x")}},
      {"dot dot", {file("../escaped", "x")}},
      {"dot dot inside", {file("a/../../escaped", "x")}},
      {"symlink to / then write through it", {symlink_member("l", "/"), file("l/escaped", "x")}},
      {"symlink up then write through it",
       {symlink_member("l", "../../.."), file("l/escaped", "x")}},
      {"symlink to a dir outside then create a dir in it",
       {symlink_member("l", "/tmp"), dir("l/escaped/")}},
      {"hard link to outside", {hardlink_member("h", "../secret")}},
      {"hard link through a symlink",
       {symlink_member("l", ".."), hardlink_member("h", "l/secret")}},
      {"hard link absolute", {hardlink_member("h", "/secret")}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    ASSERT_TRUE(fs::remove_all(in_root("dst")));
    mkdir(in_root("dst"));
    auto tar = tar_of(c.members);
    auto status = engine::extract_to_path(root_.get(), "/dst", tar.get(), as_caller());
    EXPECT_FALSE(status);
    if (!status) {
      EXPECT_NE(status.error().what().find("archive entry"), std::string::npos);
    }
    EXPECT_FALSE(lexists(in_root("escaped")));
    EXPECT_FALSE(lexists(root_path_ + "/../escaped"));
    EXPECT_FALSE(lexists(in_root("dst/h")));
    EXPECT_FALSE(lexists("/tmp/escaped"));
    EXPECT_EQ(read(outside("secret")), "host secret");
  }
}

TEST_F(ContainerArchive, SymlinkInsideTheDestinationMayBeUsed) {
  mkdir(in_root("dst/real"));
  auto tar = tar_of({symlink_member("l", "real"), file("l/f", "through")});
  ASSERT_TRUE(engine::extract_to_path(root_.get(), "/dst", tar.get(), as_caller()));
  EXPECT_EQ(read(in_root("dst/real/f")), "through");
}

TEST_F(ContainerArchive, ExtractWillNotSwapDirectoryAndFile) {
  mkdir(in_root("dst/x"));
  write(in_root("dst/y"), "file");
  auto tar = tar_of({file("x", "F")});
  auto status = engine::extract_to_path(root_.get(), "/dst", tar.get(), as_caller());
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().what().find("cannot overwrite directory"), std::string::npos);
  auto tar2 = tar_of({dir("y/")});
  auto status2 = engine::extract_to_path(root_.get(), "/dst", tar2.get(), as_caller());
  ASSERT_FALSE(status2);
  EXPECT_NE(status2.error().what().find("cannot overwrite non-directory"), std::string::npos);
  // A file replaces a file; a directory merges into a directory.
  write(in_root("dst/x/keep"), "kept");
  auto tar3 = tar_of({file("y", "new"), dir("x/"), file("x/added", "A")});
  ASSERT_TRUE(engine::extract_to_path(root_.get(), "/dst", tar3.get(), as_caller()));
  EXPECT_EQ(read(in_root("dst/y")), "new");
  EXPECT_EQ(read(in_root("dst/x/keep")), "kept");
  EXPECT_EQ(read(in_root("dst/x/added")), "A");
}

TEST_F(ContainerArchive, OwnershipIsTheContainersRootOrTheTars) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  mkdir(in_root("dst"));
  Member f = file("owned/f", "x");
  f.uid = 1234;
  f.gid = 4321;
  {
    auto tar = tar_of({f});
    engine::ExtractOptions opts;
    opts.uid = 100000;
    opts.gid = 100001;
    ASSERT_TRUE(engine::extract_to_path(root_.get(), "/dst", tar.get(), opts));
    struct stat st;
    ASSERT_EQ(::lstat(in_root("dst/owned/f").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 100000u);
    EXPECT_EQ(st.st_gid, 100001u);
    ASSERT_EQ(::lstat(in_root("dst/owned").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 100000u);  // made for the entry, owned as it
  }
  {
    auto tar = tar_of({f});
    engine::ExtractOptions opts;
    opts.copy_uid_gid = true;
    auto status = engine::extract_to_path(root_.get(), "/dst", tar.get(), opts);
    ASSERT_TRUE(status) << status.error().what();
    struct stat st;
    ASSERT_EQ(::lstat(in_root("dst/owned/f").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 4321u);
  }
}

TEST_F(ContainerArchive, ArchiveKeepsNumericOwners) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  write(in_root("f"), "x");
  ASSERT_EQ(::chown(in_root("f").c_str(), 4242, 4343), 0);
  unique_fd out = memfd();
  ASSERT_TRUE(engine::archive_path(root_.get(), "/f", out.get()));
  EXPECT_EQ(list_tar(out.get()).entries["f"].uid, 4242);
}

// ---- export_rootfs

TEST_F(ContainerArchive, ExportHasTheTreeButNotProcAndSysContent) {
  write(in_root("etc/hosts"), "127.0.0.1 localhost\n");
  write(in_root("proc/1/status"), "Name: init\n");
  write(in_root("sys/kernel/x"), "1");
  symlink("/proc/self/mounts", in_root("etc/mtab"));
  mkdir(in_root("tmp"));
  unique_fd out = memfd();
  ASSERT_TRUE(engine::export_rootfs(root_.get(), out.get()));
  auto tar = list_tar(out.get());
  EXPECT_EQ(tar.names,
            (std::vector<std::string>{"etc/", "etc/hosts", "etc/mtab", "proc/", "sys/", "tmp/"}));
  EXPECT_EQ(tar.entries["etc/mtab"].symlink, "/proc/self/mounts");
  EXPECT_EQ(tar.entries["etc/hosts"].data, "127.0.0.1 localhost\n");
}

TEST_F(ContainerArchive, XattrsFifosAndTheRootGoThroughARoundTrip) {
  write(in_root("srv/f"), "x");
  ASSERT_EQ(::mkfifo(in_root("srv/pipe").c_str(), 0640), 0);
  if (::setxattr(in_root("srv/f").c_str(), "user.berth", "v1", 2, 0) != 0)
    GTEST_SKIP() << "no user xattrs on " << top_;
  unique_fd out = memfd();
  ASSERT_TRUE(engine::archive_path(root_.get(), "/", out.get()));
  auto tar = list_tar(out.get());
  EXPECT_EQ(tar.names, (std::vector<std::string>{"./", "./srv/", "./srv/f", "./srv/pipe"}));
  EXPECT_EQ(tar.entries["./srv/pipe"].type, static_cast<unsigned>(AE_IFIFO));

  mkdir(in_root("copy"));
  ::lseek(out.get(), 0, SEEK_SET);
  auto status = engine::extract_to_path(root_.get(), "/copy", out.get(), as_caller());
  ASSERT_TRUE(status) << status.error().what();
  char value[16] = {};
  ASSERT_EQ(::getxattr(in_root("copy/srv/f").c_str(), "user.berth", value, sizeof(value)), 2);
  EXPECT_STREQ(value, "v1");
  struct stat st;
  ASSERT_EQ(::lstat(in_root("copy/srv/pipe").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(ContainerArchive, DeviceNodesGoThroughARoundTrip) {
  if (::geteuid() != 0) GTEST_SKIP() << "mknod needs root";
  mkdir(in_root("dev"));
  if (::mknod(in_root("dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
    GTEST_SKIP() << "mknod refused here";
  ASSERT_EQ(::chmod(in_root("dev/null").c_str(), 0666), 0);
  unique_fd out = memfd();
  ASSERT_TRUE(engine::archive_path(root_.get(), "/dev/null", out.get()));
  mkdir(in_root("copy"));
  ::lseek(out.get(), 0, SEEK_SET);
  auto status = engine::extract_to_path(root_.get(), "/copy", out.get(), as_caller());
  ASSERT_TRUE(status) << status.error().what();
  struct stat st;
  ASSERT_EQ(::lstat(in_root("copy/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
}

TEST_F(ContainerArchive, ExtractReadsCompressedTars) {
  unique_fd fd = memfd();
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_add_filter_gzip(a);
  ASSERT_EQ(archive_write_open_fd(a, fd.get()), ARCHIVE_OK);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "z");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, 3);
  ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
  archive_write_data(a, "gz\n", 3);
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  ::lseek(fd.get(), 0, SEEK_SET);
  ASSERT_TRUE(engine::extract_to_path(root_.get(), "/", fd.get(), as_caller()));
  EXPECT_EQ(read(in_root("z")), "gz\n");
}

TEST_F(ContainerArchive, ExportStopsAtMountPoints) {
  if (::geteuid() != 0) GTEST_SKIP() << "mount needs root";
  mkdir(in_root("mnt/vol"));
  if (::mount("tmpfs", in_root("mnt/vol").c_str(), "tmpfs", 0, "size=1m") != 0)
    GTEST_SKIP() << "cannot mount tmpfs here";
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{in_root("mnt/vol")};
  write(in_root("mnt/vol/hidden"), "on the volume");
  write(in_root("mnt/kept"), "on the root");
  unique_fd out = memfd();
  ASSERT_TRUE(engine::export_rootfs(root_.get(), out.get()));
  EXPECT_EQ(list_tar(out.get()).names, (std::vector<std::string>{"mnt/", "mnt/kept", "mnt/vol/"}));
}

// ---- docker cp HOST_SRC CONTAINER:DST

TEST_F(ContainerArchive, CpFileToContainer) {
  write(on_host("f"), "F");
  mkdir(in_root("dir"));
  write(in_root("existing"), "old");
  auto opts = as_caller();
  // to a new name in an existing directory
  ASSERT_TRUE(engine::copy_host_to_container(on_host("f"), false, root_.get(), "/dir/new", opts));
  EXPECT_EQ(read(in_root("dir/new")), "F");
  // into an existing directory, under its basename
  ASSERT_TRUE(engine::copy_host_to_container(on_host("f"), false, root_.get(), "/dir", opts));
  EXPECT_EQ(read(in_root("dir/f")), "F");
  // onto an existing file
  ASSERT_TRUE(engine::copy_host_to_container(on_host("f"), false, root_.get(), "existing", opts));
  EXPECT_EQ(read(in_root("existing")), "F");
  // to a missing directory named with a trailing slash
  auto no_dir = engine::copy_host_to_container(on_host("f"), false, root_.get(), "/missing/", opts);
  ASSERT_FALSE(no_dir);
  EXPECT_EQ(no_dir.error().what(), "no such directory");
  EXPECT_FALSE(lexists(in_root("missing")));
  // whose parent is missing
  auto no_parent =
      engine::copy_host_to_container(on_host("f"), false, root_.get(), "/missing/f", opts);
  ASSERT_FALSE(no_parent);
  EXPECT_EQ(engine::with_container_name(no_parent.error(), "c").what(),
            "Could not find the file /missing in container c");
  // a missing source
  auto no_src = engine::copy_host_to_container(on_host("nope"), false, root_.get(), "/", opts);
  ASSERT_FALSE(no_src);
  EXPECT_NE(no_src.error().what().find("no such file or directory"), std::string::npos);
}

TEST_F(ContainerArchive, CpDirectoryToContainer) {
  write(on_host("d/a"), "A");
  write(on_host("d/sub/b"), "B");
  mkdir(in_root("existing"));
  write(in_root("file"), "x");
  auto opts = as_caller();
  ASSERT_TRUE(engine::copy_host_to_container(on_host("d"), false, root_.get(), "/new", opts));
  EXPECT_EQ(read(in_root("new/a")), "A");
  EXPECT_EQ(read(in_root("new/sub/b")), "B");
  ASSERT_TRUE(engine::copy_host_to_container(on_host("d"), false, root_.get(), "/existing", opts));
  EXPECT_EQ(read(in_root("existing/d/sub/b")), "B");
  ASSERT_TRUE(
      engine::copy_host_to_container(on_host("d/."), false, root_.get(), "/existing", opts));
  EXPECT_EQ(read(in_root("existing/a")), "A");
  ASSERT_TRUE(engine::copy_host_to_container(on_host("d/."), false, root_.get(), "/new2", opts));
  EXPECT_EQ(read(in_root("new2/sub/b")), "B");
  auto onto_file = engine::copy_host_to_container(on_host("d"), false, root_.get(), "/file", opts);
  ASSERT_FALSE(onto_file);
  EXPECT_EQ(onto_file.error().what(), "cannot copy directory");
}

TEST_F(ContainerArchive, CpToContainerFollowsDestinationSymlinkInsideTheRoot) {
  write(on_host("f"), "F");
  mkdir(in_root("real"));
  symlink("/real", in_root("link"));
  symlink("/", in_root("slash"));
  auto opts = as_caller();
  ASSERT_TRUE(engine::copy_host_to_container(on_host("f"), false, root_.get(), "/link", opts));
  EXPECT_EQ(read(in_root("real/f")), "F");
  ASSERT_TRUE(
      engine::copy_host_to_container(on_host("f"), false, root_.get(), "/slash/real/g", opts));
  EXPECT_EQ(read(in_root("real/g")), "F");
}

TEST_F(ContainerArchive, CpHostSymlinkIsCopiedOrFollowed) {
  write(on_host("target"), "T");
  symlink("target", on_host("link"));
  mkdir(in_root("dst"));
  auto opts = as_caller();
  ASSERT_TRUE(engine::copy_host_to_container(on_host("link"), false, root_.get(), "/dst", opts));
  char buf[64] = {};
  ASSERT_GT(::readlink(in_root("dst/link").c_str(), buf, sizeof(buf) - 1), 0);
  EXPECT_STREQ(buf, "target");
  ASSERT_TRUE(fs::remove_all(in_root("dst/link")));
  ASSERT_TRUE(engine::copy_host_to_container(on_host("link"), true, root_.get(), "/dst", opts));
  struct stat st;
  ASSERT_EQ(::lstat(in_root("dst/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(read(in_root("dst/link")), "T");
}

// ---- docker cp CONTAINER:SRC HOST_DST

TEST_F(ContainerArchive, CpFileFromContainer) {
  write(in_root("etc/hosts"), "H");
  mkdir(on_host("dir"));
  write(on_host("existing"), "old");
  ASSERT_TRUE(engine::copy_container_to_host(root_.get(), "/etc/hosts", false, on_host("new")));
  EXPECT_EQ(read(on_host("new")), "H");
  ASSERT_TRUE(engine::copy_container_to_host(root_.get(), "/etc/hosts", false, on_host("dir")));
  EXPECT_EQ(read(on_host("dir/hosts")), "H");
  ASSERT_TRUE(
      engine::copy_container_to_host(root_.get(), "/etc/hosts", false, on_host("existing")));
  EXPECT_EQ(read(on_host("existing")), "H");
  auto no_dir = engine::copy_container_to_host(root_.get(), "/etc/hosts", false, on_host("nd/"));
  ASSERT_FALSE(no_dir);
  EXPECT_EQ(no_dir.error().what(), "no such directory");
  auto no_parent =
      engine::copy_container_to_host(root_.get(), "/etc/hosts", false, on_host("nd/x"));
  ASSERT_FALSE(no_parent);
  EXPECT_NE(no_parent.error().what().find("no such file or directory"), std::string::npos);
  auto parent_file =
      engine::copy_container_to_host(root_.get(), "/etc/hosts", false, on_host("existing/x"));
  ASSERT_FALSE(parent_file);
  EXPECT_NE(parent_file.error().what().find("not a directory"), std::string::npos);
  auto no_src = engine::copy_container_to_host(root_.get(), "/nope", false, on_host("x"));
  ASSERT_FALSE(no_src);
  EXPECT_EQ(engine::with_container_name(no_src.error(), "c").what(),
            "Could not find the file /nope in container c");
}

TEST_F(ContainerArchive, CpDirectoryFromContainer) {
  write(in_root("srv/a"), "A");
  write(in_root("srv/sub/b"), "B");
  mkdir(on_host("existing"));
  write(on_host("file"), "x");
  ASSERT_TRUE(engine::copy_container_to_host(root_.get(), "/srv", false, on_host("new")));
  EXPECT_EQ(read(on_host("new/sub/b")), "B");
  ASSERT_TRUE(engine::copy_container_to_host(root_.get(), "/srv", false, on_host("existing")));
  EXPECT_EQ(read(on_host("existing/srv/a")), "A");
  ASSERT_TRUE(engine::copy_container_to_host(root_.get(), "/srv/.", false, on_host("existing")));
  EXPECT_EQ(read(on_host("existing/a")), "A");
  ASSERT_TRUE(engine::copy_container_to_host(root_.get(), "/srv/.", false, on_host("new2")));
  EXPECT_EQ(read(on_host("new2/sub/b")), "B");
  auto onto_file = engine::copy_container_to_host(root_.get(), "/srv", false, on_host("file"));
  ASSERT_FALSE(onto_file);
  EXPECT_EQ(onto_file.error().what(), "cannot copy directory");
}

TEST_F(ContainerArchive, CpFromContainerFollowsLinksInTheRootOnly) {
  write(in_root("etc/real"), "inside");
  symlink("/etc/real", in_root("link"));
  symlink("/etc", in_root("etclink"));
  // The symlink itself, as it is: pointing at a host path is harmless on the host.
  ASSERT_TRUE(engine::copy_container_to_host(root_.get(), "/link", false, on_host("copy")));
  char buf[64] = {};
  ASSERT_GT(::readlink(on_host("copy").c_str(), buf, sizeof(buf) - 1), 0);
  EXPECT_STREQ(buf, "/etc/real");
  // -L: the target's content, under the link's name, from inside the root.
  mkdir(on_host("dir"));
  ASSERT_TRUE(engine::copy_container_to_host(root_.get(), "/link", true, on_host("dir")));
  EXPECT_EQ(read(on_host("dir/link")), "inside");
  ASSERT_TRUE(engine::copy_container_to_host(root_.get(), "/etclink/real", false, on_host("r")));
  EXPECT_EQ(read(on_host("r")), "inside");
}

TEST_F(ContainerArchive, HostileTarballOntoTheHost) {
  // A container's tar is untrusted on the host too: it stays beneath DST.
  mkdir(on_host("dst"));
  write(outside("secret"), "host secret");
  auto tar = tar_of({symlink_member("l", "/"), file("l/" + top_.substr(1) + "/escaped", "x")});
  auto status = engine::extract_to_host(tar.get(), on_host("dst"), as_caller());
  EXPECT_FALSE(status);
  EXPECT_FALSE(lexists(outside("escaped")));
  auto tar2 = tar_of({symlink_member("up", ".."), hardlink_member("h", "up/../secret")});
  EXPECT_FALSE(engine::extract_to_host(tar2.get(), on_host("dst"), as_caller()));
  EXPECT_FALSE(lexists(on_host("dst/h")));
}

}  // namespace
