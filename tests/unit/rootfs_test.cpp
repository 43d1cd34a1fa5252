#include "runtime/rootfs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "base/fs.hpp"
#include "runtime/devices.hpp"
#include "runtime/idmapped_mounts.hpp"
#include "runtime/mount_fd.hpp"

namespace berth::runtime {
namespace {

// Runs fn in a forked child with its own mount namespace (everything private, so nothing
// reaches the host); what fn returns (empty for success) comes back through a pipe.
std::string in_child(const std::function<std::string()>& fn, int extra_unshare = 0) {
  int p[2];
  if (::pipe(p) < 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    std::string msg;
    if (::unshare(CLONE_NEWNS | extra_unshare) < 0)
      msg = "unshare failed";
    else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
      msg = "make / rprivate failed";
    else
      msg = fn();
    if (!msg.empty()) (void)!::write(p[1], msg.data(), msg.size());
    ::_exit(msg.empty() ? 0 : 1);
  }
  ::close(p[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (out.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
    out = "child failed with status " + std::to_string(status);
  return out;
}

#define CHECK_OR_SAY(cond, msg)                            \
  do {                                                     \
    if (!(cond)) return std::string(msg) + " (" #cond ")"; \
  } while (0)

#define TRY_OR_SAY(expr)                                         \
  do {                                                           \
    auto&& r_ = (expr);                                          \
    if (!r_) return std::string(#expr ": ") + r_.error().what(); \
  } while (0)

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/berth-rootfs-test-XXXXXX";
    path = ::mkdtemp(tmpl);
    ::chmod(path.c_str(), 0755);
  }
  ~TempDir() { (void)fs::remove_all(path); }
};

void write(const std::string& path, const std::string& text) {
  ASSERT_TRUE(fs::write_file_atomic(path, text, 0644).has_value()) << path;
}

// A busybox rootfs: /bin/busybox and sh, /etc, and a few things for the tests to find.
void make_busybox_rootfs(const std::string& rootfs) {
  ASSERT_TRUE(fs::mkdir_p(rootfs + "/bin", 0755).has_value());
  ASSERT_EQ(std::system(("cp /bin/busybox " + rootfs + "/bin/busybox").c_str()), 0);
  ASSERT_EQ(::symlink("busybox", (rootfs + "/bin/sh").c_str()), 0);
  ASSERT_EQ(::symlink("busybox", (rootfs + "/bin/cat").c_str()), 0);
  for (const char* d : {"/etc", "/proc", "/sys", "/dev", "/tmp", "/opt/sub"})
    ASSERT_TRUE(fs::mkdir_p(rootfs + d, 0755).has_value());
  write(rootfs + "/opt/sub/kept", "kept\n");
  ASSERT_EQ(::symlink("sub/kept", (rootfs + "/opt/link").c_str()), 0);
  // A destination that points out of the rootfs: it must resolve inside.
  ASSERT_EQ(::symlink("/../../etc", (rootfs + "/escape").c_str()), 0);
  // Dangling symlinks at file destinations: made where they point, inside the rootfs.
  ASSERT_TRUE(fs::mkdir_p(rootfs + "/srv", 0755).has_value());
  ASSERT_EQ(::symlink("../run/resolv.conf", (rootfs + "/srv/resolv.conf").c_str()), 0);
  ASSERT_EQ(::symlink("/../../tmp/berth-escaped-file", (rootfs + "/evil").c_str()), 0);
}

std::vector<Mount> default_mounts() {
  return {
      {"/proc", "proc", "proc", {}, {}, {}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}, {}, {}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
       {},
       {}},
      {"/dev/shm",
       "tmpfs",
       "shm",
       {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"},
       {},
       {}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}, {}, {}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}, {}, {}},
      {"/sys/fs/cgroup",
       "cgroup",
       "cgroup",
       {"nosuid", "noexec", "nodev", "relatime", "ro"},
       {},
       {}},
  };
}

std::string expect_errno(int r, int want, const std::string& what) {
  if (r >= 0) return what + ": succeeded, wanted " + strerror(want);
  if (errno != want) return what + ": " + strerror(errno) + ", wanted " + strerror(want);
  return "";
}

std::string run_busybox(const char* script) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", script, nullptr);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return std::string("busybox sh -c '") + script + "' failed: " + std::to_string(status);
  return "";
}

std::string check_inside(bool readonly_root) {
  struct stat st;
  CHECK_OR_SAY(::stat("/dev/null", &st) == 0, "stat /dev/null");
  CHECK_OR_SAY(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "/dev/null is 1:3");
  CHECK_OR_SAY((st.st_mode & 07777) == 0666, "/dev/null mode 0666");
  CHECK_OR_SAY(::stat("/dev/tty", &st) == 0 && st.st_rdev == makedev(5, 0), "/dev/tty 5:0");
  CHECK_OR_SAY(::stat("/dev/mydev", &st) == 0 && st.st_rdev == makedev(1, 5), "/dev/mydev 1:5");
  CHECK_OR_SAY((st.st_mode & 07777) == 0600 && st.st_uid == 1 && st.st_gid == 2,
               "/dev/mydev 0600 1:2");
  CHECK_OR_SAY(::lstat("/dev/myfifo", &st) == 0 && S_ISFIFO(st.st_mode), "/dev/myfifo fifo");
  CHECK_OR_SAY(::access("/proc/self/status", R_OK) == 0, "/proc/self exists");
  char link[64] = {};
  CHECK_OR_SAY(
      ::readlink("/dev/ptmx", link, sizeof link - 1) > 0 && std::string(link) == "pts/ptmx",
      "/dev/ptmx -> pts/ptmx");
  CHECK_OR_SAY(::access("/dev/pts/ptmx", F_OK) == 0, "/dev/pts/ptmx");
  CHECK_OR_SAY(::access("/dev/fd/0", F_OK) == 0, "/dev/fd/0");
  CHECK_OR_SAY(::access("/dev/shm", W_OK) == 0, "/dev/shm");
  CHECK_OR_SAY(::lstat("/dev/console", &st) == 0 && S_ISREG(st.st_mode),
               "/dev/console placeholder");
  CHECK_OR_SAY(::access("/dev/mqueue", F_OK) == 0, "/dev/mqueue");
  CHECK_OR_SAY(::access("/sys/kernel", F_OK) == 0, "/sys is sysfs");
  CHECK_OR_SAY(::access("/sys/fs/cgroup/memory", F_OK) == 0 ||
                   ::access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0,
               "/sys/fs/cgroup has the hierarchies");

  // maskedPaths: files read empty, directories are empty read-only tmpfs.
  int fd = ::open("/proc/version", O_RDONLY);
  CHECK_OR_SAY(fd >= 0, "open /proc/version");
  char c;
  ssize_t n = ::read(fd, &c, 1);
  ::close(fd);
  CHECK_OR_SAY(n == 0, "/proc/version reads empty");
  auto e = expect_errno(::mkdir("/sys/firmware/x", 0755), EROFS, "mkdir /sys/firmware/x");
  if (!e.empty()) return e;
  // readonlyPaths.
  e = expect_errno(::open("/proc/sys/kernel/hostname", O_WRONLY), EROFS, "write /proc/sys");
  if (!e.empty()) return e;
  // A read-only bind, and a bind through a symlink that points out of the rootfs.
  CHECK_OR_SAY(::access("/data/marker", R_OK) == 0, "/data/marker");
  e = expect_errno(::open("/data/new", O_WRONLY | O_CREAT, 0644), EROFS, "create in /data");
  if (!e.empty()) return e;
  CHECK_OR_SAY(::access("/etc/escaped-marker", F_OK) == 0, "symlinked destination inside rootfs");
  CHECK_OR_SAY(::access("/file-bind", R_OK) == 0, "file bind");
  CHECK_OR_SAY(::access("/cg2/cgroup.procs", F_OK) == 0, "cgroup2 mount");
  CHECK_OR_SAY(::readlink("/copied-link", link, sizeof link - 1) == 11 &&
                   std::string(link, 11) == "/some/where",
               "copy-symlink");
  CHECK_OR_SAY(::access("/run/resolv.conf", R_OK) == 0, "bind through a dangling symlink");
  CHECK_OR_SAY(::access("/tmp/berth-escaped-file", R_OK) == 0, "dangling symlink kept inside");
  // tmpcopyup keeps what the image had under the tmpfs.
  CHECK_OR_SAY(::access("/opt/sub/kept", R_OK) == 0, "tmpcopyup file");
  CHECK_OR_SAY(::readlink("/opt/link", link, sizeof link - 1) > 0, "tmpcopyup symlink");
  CHECK_OR_SAY(::access("/opt", W_OK) == 0 && ::mkdir("/opt/new", 0755) == 0, "tmpcopyup writable");
  // The terminal's replica bound onto the /dev/console placeholder.
  int ptm = ::posix_openpt(O_RDWR | O_NOCTTY);
  CHECK_OR_SAY(ptm >= 0 && ::unlockpt(ptm) == 0, "open /dev/ptmx");
  int pts = ::open(::ptsname(ptm), O_RDWR | O_NOCTTY);
  CHECK_OR_SAY(pts >= 0, "open the pty replica");
  auto console = mount_console(pts);
  if (!console) return "mount_console: " + console.error().what();
  CHECK_OR_SAY(::stat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 136,
               "/dev/console is the pty");
  ::close(pts);
  ::close(ptm);
  if (readonly_root) {
    e = expect_errno(::mkdir("/newdir", 0755), EROFS, "mkdir /newdir");
    if (!e.empty()) return e;
  }
  return run_busybox("cat /data/marker >/dev/null && test -c /dev/zero && test -d /proc/1");
}

Spec full_spec(const std::string& data_dir, const std::string& marker_dir,
               const std::string& file) {
  Spec spec;
  spec.mounts = default_mounts();
  spec.mounts.push_back({"/data", "bind", data_dir, {"rbind", "ro"}, {}, {}});
  spec.mounts.push_back({"/escape", "none", marker_dir, {"bind"}, {}, {}});
  spec.mounts.push_back({"/file-bind", "bind", file, {"bind", "nosuid"}, {}, {}});
  spec.mounts.push_back({"/opt", "tmpfs", "tmpfs", {"tmpcopyup", "mode=755"}, {}, {}});
  spec.mounts.push_back({"/cg2", "cgroup2", "cgroup2", {"nosuid", "nodev", "noexec"}, {}, {}});
  spec.mounts.push_back({"/srv/resolv.conf", "bind", file, {"rbind", "ro"}, {}, {}});
  spec.mounts.push_back({"/evil", "bind", file, {"rbind"}, {}, {}});
  spec.mounts.push_back({"/copied-link", "bind", file + "-link", {"bind", "copy-symlink"}, {}, {}});
  spec.linux.devices.push_back({"/dev/mydev", 'c', 1, 5, 0600, 1, 2});
  spec.linux.devices.push_back({"/dev/myfifo", 'p', 0, 0, 0644, {}, {}});
  spec.linux.masked_paths = {"/proc/kcore", "/proc/version", "/proc/acpi", "/sys/firmware",
                             "/proc/nothere"};
  spec.linux.readonly_paths = {"/proc/sys", "/proc/sysrq-trigger", "/nothere"};
  spec.process = Process{};
  spec.process->terminal = true;
  return spec;
}

class RootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    make_busybox_rootfs(rootfs());
    ASSERT_TRUE(fs::mkdir_p(tmp_.path + "/data", 0755).has_value());
    write(tmp_.path + "/data/marker", "data\n");
    ASSERT_TRUE(fs::mkdir_p(tmp_.path + "/marker", 0755).has_value());
    write(tmp_.path + "/marker/escaped-marker", "x\n");
    write(tmp_.path + "/file", "file\n");
    ASSERT_EQ(::symlink("/some/where", (tmp_.path + "/file-link").c_str()), 0);
  }
  std::string rootfs() const { return tmp_.path + "/rootfs"; }
  TempDir tmp_;
};

// What init does before the pivot, without the wait for the runtime's cgroup between the two.
Status setup_rootfs(const RootfsContext& ctx) {
  auto root = BERTH_TRY(mount_rootfs(ctx));
  return populate_dev(ctx, root.get());
}

std::string setup_enter_finish(const RootfsContext& ctx) {
  TRY_OR_SAY(setup_rootfs(ctx));
  // Before the pivot: the escaping destination landed in the rootfs, not on the host.
  CHECK_OR_SAY(::access((ctx.rootfs + "/etc/escaped-marker").c_str(), F_OK) == 0,
               "bind landed in rootfs/etc");
  CHECK_OR_SAY(::access("/etc/escaped-marker", F_OK) != 0, "host /etc untouched");
  CHECK_OR_SAY(::access("/tmp/berth-escaped-file", F_OK) != 0, "host /tmp untouched");
  TRY_OR_SAY(enter_rootfs(ctx));
  TRY_OR_SAY(finish_rootfs(ctx));
  char cwd[16];
  CHECK_OR_SAY(::getcwd(cwd, sizeof cwd) && std::string(cwd) == "/", "cwd is /");
  return "";
}

TEST_F(RootfsTest, PivotRootWithDefaultMounts) {
  Spec spec = full_spec(tmp_.path + "/data", tmp_.path + "/marker", tmp_.path + "/file");
  spec.root_readonly = true;
  RootfsContext ctx{&spec, tmp_.path, rootfs(), false, true, false, {}};
  std::string r = in_child([&] {
    auto s = setup_enter_finish(ctx);
    return s.empty() ? check_inside(true) : s;
  });
  EXPECT_EQ(r, "");
  // The old root is detached, never unmounted from the host: /proc still works here.
  EXPECT_EQ(::access("/proc/self/status", F_OK), 0);
}

TEST_F(RootfsTest, NoPivotAndPrivatePropagation) {
  Spec spec = full_spec(tmp_.path + "/data", tmp_.path + "/marker", tmp_.path + "/file");
  spec.linux.rootfs_propagation = "private";
  RootfsContext ctx{&spec, tmp_.path, rootfs(), false, true, true, {}};
  std::string r = in_child([&] {
    auto s = setup_enter_finish(ctx);
    return s.empty() ? check_inside(false) : s;
  });
  EXPECT_EQ(r, "");
}

TEST_F(RootfsTest, SharedAndUnbindableRootPropagation) {
  for (const char* prop : {"rshared", "runbindable", "slave"}) {
    Spec spec;
    spec.mounts = {{"/proc", "proc", "proc", {}, {}, {}}};
    spec.linux.rootfs_propagation = prop;
    RootfsContext ctx{&spec, tmp_.path, rootfs(), false, true, false, {}};
    std::string r = in_child([&]() -> std::string {
      TRY_OR_SAY(setup_rootfs(ctx));
      TRY_OR_SAY(enter_rootfs(ctx));
      TRY_OR_SAY(finish_rootfs(ctx));
      auto info = fs::read_file("/proc/self/mountinfo");
      if (!info) return info.error().what();
      std::string line = info->substr(0, info->find('\n'));
      for (size_t pos = 0; (pos = info->find('\n', pos)) != std::string::npos;) {
        ++pos;
        std::string l = info->substr(pos, info->find('\n', pos) - pos);
        if (l.find(" / / ") != std::string::npos) line = l;
      }
      std::string want = std::string(prop) == "rshared"       ? "shared:"
                         : std::string(prop) == "runbindable" ? "unbindable"
                                                              : "";
      // The harness made the host's mounts private: a slave "/" has no master to show.
      if (!want.empty())
        CHECK_OR_SAY(line.find(want) != std::string::npos, std::string(prop) + ": " + line);
      else
        CHECK_OR_SAY(line.find("shared:") == std::string::npos, std::string(prop) + ": " + line);
      return "";
    });
    EXPECT_EQ(r, "") << prop;
  }
}

// The container's root in its own user namespace: what runs rootless or with userns-remap.
class RootfsUsernsTest : public RootfsTest, public ::testing::WithParamInterface<bool> {};

TEST_P(RootfsUsernsTest, InUserNamespace) {
  const bool cgroupns = GetParam();
  Spec spec = full_spec(tmp_.path + "/data", tmp_.path + "/marker", tmp_.path + "/file");
  if (cgroupns) spec.linux.namespaces.push_back({"cgroup", ""});
  spec.linux.devices.clear();  // host nodes are bound in a user namespace: these do not exist
  // A rootless rootfs belongs to the container's root.
  ASSERT_EQ(std::system(("chown -hR 100000:100000 " + rootfs()).c_str()), 0);
  spec.linux.readonly_paths = {"/proc/sys"};
  RootfsContext ctx{&spec, tmp_.path, rootfs(), true, false, false, {}};
  // A child in a new user namespace; its parent writes the maps, as the runtime does.
  std::string idsrc = tmp_.path + "/idsrc";
  ASSERT_EQ(::mkdir(idsrc.c_str(), 0755), 0);
  spec.mounts.push_back(
      {"/idmapped", "bind", idsrc, {"rbind"}, {{1000, 100005, 1}}, {{1000, 100006, 1}}});
  std::string r = in_child([&]() -> std::string {
    // Made on the host side (this process), attached by init in its user namespace.
    if (::mount("tmpfs", idsrc.c_str(), "tmpfs", 0, "mode=755") < 0) return "mount tmpfs";
    int f = ::open((idsrc + "/owned").c_str(), O_CREAT | O_WRONLY, 0644);
    if (f < 0 || ::fchown(f, 1000, 1000) < 0) return "create owned file";
    ::close(f);
    auto prepared = prepare_idmapped_mounts(spec, tmp_.path, -1);
    TRY_OR_SAY(prepared);
    for (const auto& fd : *prepared) ctx.prepared_mount_fds.push_back(fd.get());
    int go[2], ready[2];
    if (::pipe(go) < 0 || ::pipe(ready) < 0) return "pipe";
    int report[2];
    if (::pipe(report) < 0) return "pipe";
    pid_t pid = ::fork();
    if (pid == 0) {
      std::string msg;
      if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | (cgroupns ? CLONE_NEWCGROUP : 0)) < 0)
        msg = "unshare user";
      char c = 0;
      (void)!::write(ready[1], &c, 1);
      (void)!::read(go[0], &c, 1);
      if (msg.empty() && (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)) msg = "setresuid";
      if (msg.empty()) {
        auto s = setup_rootfs(ctx);
        if (!s) msg = "setup_rootfs: " + s.error().what();
      }
      if (msg.empty()) {
        auto s = enter_rootfs(ctx);
        if (!s) msg = "enter_rootfs: " + s.error().what();
      }
      if (msg.empty()) {
        auto s = finish_rootfs(ctx);
        if (!s) msg = "finish_rootfs: " + s.error().what();
      }
      struct stat st;
      if (msg.empty() && (::stat("/dev/null", &st) < 0 || st.st_rdev != makedev(1, 3)))
        msg = "/dev/null not bound";
      if (msg.empty() && ::access("/sys/kernel", F_OK) < 0) msg = "/sys not bound";
      if (msg.empty() && ::access("/proc/self/status", F_OK) < 0) msg = "/proc missing";
      if (msg.empty() && ::access("/data/marker", R_OK) < 0) msg = "/data missing";
      if (msg.empty() && ::access("/cg2/cgroup.procs", F_OK) < 0) msg = "/cg2 missing";
      if (msg.empty() && (::stat("/idmapped/owned", &st) < 0 || st.st_uid != 5 || st.st_gid != 6))
        msg = "idmapped owner " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
      if (msg.empty()) {
        int fd = ::open("/proc/version", O_RDONLY);
        char b;
        if (fd < 0 || ::read(fd, &b, 1) != 0) msg = "/proc/version not masked";
        if (fd >= 0) ::close(fd);
      }
      if (msg.empty())
        msg = expect_errno(::open("/data/x", O_CREAT | O_WRONLY, 0644), EROFS, "/data");
      if (msg.empty()) msg = "done";
      (void)!::write(report[1], msg.data(), msg.size());
      ::_exit(0);
    }
    ::close(report[1]);
    char c;
    if (::read(ready[0], &c, 1) != 1) return "child did not start";
    std::string proc = "/proc/" + std::to_string(pid);
    auto u = fs::write_file(proc + "/uid_map", "0 100000 65536\n");
    auto g = fs::write_file(proc + "/gid_map", "0 100000 65536\n");
    (void)!::write(go[1], &c, 1);
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::read(report[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    ::waitpid(pid, nullptr, 0);
    if (!u) return u.error().what();
    if (!g) return g.error().what();
    return out == "done" ? "" : "in the user namespace: " + out;
  });
  EXPECT_EQ(r, "");
}

INSTANTIATE_TEST_SUITE_P(CgroupNamespace, RootfsUsernsTest, ::testing::Bool());

TEST_F(RootfsTest, IdmappedBindMount) {
  std::string r = in_child([&]() -> std::string {
    std::string src = tmp_.path + "/idsrc";
    if (::mkdir(src.c_str(), 0755) < 0) return "mkdir";
    // tmpfs can be idmapped on any kernel that has idmapped mounts.
    if (::mount("tmpfs", src.c_str(), "tmpfs", 0, "mode=755") < 0) return "mount tmpfs";
    std::string file = src + "/owned";
    int fd = ::open(file.c_str(), O_CREAT | O_WRONLY, 0644);
    if (fd < 0 || ::fchown(fd, 1000, 1000) < 0) return "create owned file";
    ::close(fd);
    Spec spec;
    spec.mounts.push_back({"/proc", "proc", "proc", {}, {}, {}});
    spec.mounts.push_back(
        {"/idmapped", "bind", src, {"rbind", "ro"}, {{1000, 2000, 1}}, {{1000, 3000, 1}}});
    auto fds = prepare_idmapped_mounts(spec, tmp_.path, -1);
    if (!fds && fds.error().errno_value == EINVAL)
      return "SKIP: idmapping refused: " + fds.error().what();
    TRY_OR_SAY(fds);
    CHECK_OR_SAY(fds->size() == 2 && !(*fds)[0] && (*fds)[1], "one prepared mount");
    RootfsContext ctx{&spec, tmp_.path, rootfs(), false, true, false, {-1, (*fds)[1].get()}};
    std::string root = rootfs();
    if (::mount(root.c_str(), root.c_str(), nullptr, MS_BIND, nullptr) < 0) return "bind rootfs";
    auto rfd = ::open(root.c_str(), O_PATH | O_DIRECTORY);
    TRY_OR_SAY(mount_one(ctx, rfd, 1));
    struct stat st;
    CHECK_OR_SAY(::stat((root + "/idmapped/owned").c_str(), &st) == 0, "stat idmapped file");
    CHECK_OR_SAY(st.st_uid == 2000 && st.st_gid == 3000,
                 "owner seen through the mount: " + std::to_string(st.st_uid) + ":" +
                     std::to_string(st.st_gid));
    CHECK_OR_SAY(::stat(file.c_str(), &st) == 0 && st.st_uid == 1000, "source unchanged");
    auto e = expect_errno(::open((root + "/idmapped/new").c_str(), O_CREAT | O_WRONLY, 0644), EROFS,
                          "ro idmapped");
    if (!e.empty()) return e;
    // "idmap" without mappings takes the container's user namespace, which must exist.
    Spec bare;
    bare.mounts.push_back({"/x", "bind", src, {"bind", "idmap"}, {}, {}});
    auto none = prepare_idmapped_mounts(bare, tmp_.path, -1);
    CHECK_OR_SAY(!none, "idmap without user namespace refused");
    auto userns = make_userns({{0, 5000, 2000}}, {{0, 6000, 2000}});
    TRY_OR_SAY(userns);
    auto own = prepare_idmapped_mounts(bare, tmp_.path, userns->get());
    TRY_OR_SAY(own);
    CHECK_OR_SAY(own->size() == 1 && (*own)[0], "idmap with the container's user namespace");
    auto mnt = ::open(root.c_str(), O_PATH | O_DIRECTORY);
    RootfsContext own_ctx{&bare, tmp_.path, root, false, true, false, {(*own)[0].get()}};
    TRY_OR_SAY(mount_one(own_ctx, mnt, 0));
    CHECK_OR_SAY(
        ::stat((root + "/x/owned").c_str(), &st) == 0 && st.st_uid == 6000 && st.st_gid == 7000,
        "owner through the container's mapping: " + std::to_string(st.st_uid));
    return "";
  });
  if (r.starts_with("SKIP: ")) GTEST_SKIP() << r.substr(6);
  EXPECT_EQ(r, "");
}

TEST(RootfsErrors, UnknownOptionNamesTheMount) {
  Spec spec;
  for (int i = 0; i < 4; ++i) spec.mounts.push_back({"/m", "tmpfs", "tmpfs", {}, {}, {}});
  spec.mounts.push_back({"/data", "bind", "/tmp", {"rbind", "foo"}, {}, {}});
  RootfsContext ctx{&spec, "/tmp", "/nonexistent", false, false, false, {}};
  auto r = mount_one(ctx, -1, 4);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "mounts[4] \"/data\": unknown option \"foo\"");
}

TEST(RootfsErrors, MissingBindSource) {
  Spec spec;
  for (int i = 0; i < 4; ++i) spec.mounts.push_back({"/m", "tmpfs", "tmpfs", {}, {}, {}});
  spec.mounts.push_back({"/data", "bind", "/x-berth-missing", {"rbind"}, {}, {}});
  spec.mounts.push_back({"/rel", "bind", "relative-missing", {"bind"}, {}, {}});
  RootfsContext ctx{&spec, "/tmp/bundle-x", "/nonexistent", false, false, false, {}};
  auto r = mount_one(ctx, -1, 4);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "mounts[4]: bind source \"/x-berth-missing\": no such file or directory");
  auto rel = mount_one(ctx, -1, 5);
  ASSERT_FALSE(rel);
  EXPECT_EQ(rel.error().what(),
            "mounts[5]: bind source \"/tmp/bundle-x/relative-missing\": no such file or directory");
}

TEST(RootfsErrors, CheckedBeforeCreate) {
  Spec spec;
  spec.mounts.push_back({"/proc", "proc", "proc", {}, {}, {}});
  spec.mounts.push_back({"/etc/hosts", "bind", "/etc/hosts", {"rbind", "ro"}, {}, {}});
  spec.linux.masked_paths = {"/proc/kcore"};
  EXPECT_TRUE(check_rootfs_config(spec, "/tmp").has_value());

  Spec bad_option = spec;
  bad_option.mounts.push_back({"/data", "bind", "/tmp", {"rbind", "foo"}, {}, {}});
  auto r = check_rootfs_config(bad_option, "/tmp");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "mounts[2] \"/data\": unknown option \"foo\"");

  Spec missing = spec;
  missing.mounts.push_back({"/data", "bind", "nothere", {"bind"}, {}, {}});
  r = check_rootfs_config(missing, "/tmp/bundle-y");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "mounts[2]: bind source \"/tmp/bundle-y/nothere\": no such file or directory");

  Spec relative = spec;
  relative.linux.readonly_paths = {"proc/sys"};
  r = check_rootfs_config(relative, "/tmp");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "linux.readonlyPaths: \"proc/sys\" is not an absolute path");

  Spec propagation = spec;
  propagation.linux.rootfs_propagation = "rslave";
  EXPECT_TRUE(check_rootfs_config(propagation, "/tmp").has_value());
  propagation.linux.rootfs_propagation = "bogus";
  EXPECT_FALSE(check_rootfs_config(propagation, "/tmp").has_value());
}

TEST(RootfsErrors, BadRootPropagation) {
  Spec spec;
  spec.linux.rootfs_propagation = "sideways";
  RootfsContext ctx{&spec, "/tmp", "/nonexistent", false, false, false, {}};
  auto r = setup_rootfs(ctx);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "linux.rootfsPropagation: unknown propagation \"sideways\"");
}

TEST(Devices, NeedsDevSetup) {
  Spec spec;
  spec.mounts = default_mounts();
  EXPECT_TRUE(needs_dev_setup(spec));
  spec.mounts.push_back({"/dev/", "bind", "/dev", {"rbind"}, {}, {}});
  EXPECT_FALSE(needs_dev_setup(spec));
}

}  // namespace
}  // namespace berth::runtime

namespace berth::runtime {
namespace {

TEST_F(RootfsTest, KernelRefusedOptionNamesTheMount) {
  Spec spec;
  spec.mounts.push_back({"/x", "tmpfs", "tmpfs", {"nosuid", "foo"}, {}, {}});
  RootfsContext ctx{&spec, tmp_.path, rootfs(), false, true, false, {}};
  std::string r = in_child([&]() -> std::string {
    std::string root = rootfs();
    if (::mount(root.c_str(), root.c_str(), nullptr, MS_BIND, nullptr) < 0) return "bind rootfs";
    int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY);
    auto m = mount_one(ctx, fd, 0);
    CHECK_OR_SAY(!m, "tmpfs with \"foo\" refused");
    return m.error().what();
  });
  EXPECT_EQ(r, "mounts[0]: mount \"tmpfs\" on \"/x\" type tmpfs with \"foo\": invalid argument");
}

}  // namespace
}  // namespace berth::runtime

namespace berth::runtime {
namespace {

// A /dev/null that the image replaced by a symlink must never be what masks a path.
TEST_F(RootfsTest, MaskRefusesFakeDevNull) {
  std::string root = rootfs();
  ASSERT_EQ(::symlink("/etc/target", (root + "/dev/null").c_str()), 0);
  write(root + "/etc/target", "secret\n");
  write(root + "/masked", "visible\n");
  std::string r = in_child([&]() -> std::string {
    if (::chroot(root.c_str()) < 0 || ::chdir("/") < 0) return "chroot";
    auto m = mask_paths({"/masked"});
    CHECK_OR_SAY(!m, "mask with a symlinked /dev/null refused");
    return m.error().what();
  });
  EXPECT_EQ(r, "\"/dev/null\" is not the null device");
}

TEST(MaskedPaths, RelativePathsAreRefused) {
  auto m = mask_paths({"masked-relpath"});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().what(), "\"masked-relpath\" is not an absolute path");
  EXPECT_FALSE(make_readonly_paths({"readonly-relpath"}));
}

}  // namespace
}  // namespace berth::runtime

namespace berth::runtime {
namespace {

// Destinations are made in the root, whatever symlinks the image holds; no root needed.
TEST(MountFdEnsure, CreatesInsideTheRoot) {
  TempDir tmp;
  std::string root = tmp.path;
  ASSERT_TRUE(fs::mkdir_p(root + "/etc", 0755).has_value());
  ASSERT_EQ(::symlink("../run/resolv.conf", (root + "/etc/resolv.conf").c_str()), 0);
  ASSERT_EQ(::symlink("/../../../tmp/berth-ensure-escape", (root + "/out").c_str()), 0);
  ASSERT_EQ(::symlink("loop", (root + "/loop").c_str()), 0);
  int root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY);
  ASSERT_GE(root_fd, 0);
  struct stat st;

  EXPECT_TRUE(mount_fd::ensure(root_fd, "/etc/resolv.conf", false).has_value());
  EXPECT_EQ(::lstat((root + "/run/resolv.conf").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));

  EXPECT_TRUE(mount_fd::ensure(root_fd, "/out", false).has_value());
  EXPECT_EQ(::lstat((root + "/tmp/berth-ensure-escape").c_str(), &st), 0);
  EXPECT_NE(::access("/tmp/berth-ensure-escape", F_OK), 0);

  EXPECT_TRUE(mount_fd::ensure(root_fd, "/a/b/c/", true).has_value());
  EXPECT_EQ(::stat((root + "/a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(mount_fd::ensure(root_fd, "relative/dir", true).has_value());
  EXPECT_EQ(::access((root + "/relative/dir").c_str(), F_OK), 0);

  auto loop = mount_fd::ensure(root_fd, "/loop", true);
  ASSERT_FALSE(loop.has_value());
  EXPECT_EQ(loop.error().errno_value, ELOOP);
  ::close(root_fd);
}

}  // namespace
}  // namespace berth::runtime
