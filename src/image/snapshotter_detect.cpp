#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <mutex>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "base/syscalls.hpp"
#include "image/dir_tree.hpp"
#include "image/leftovers.hpp"
#include "image/snapshotter.hpp"

namespace berth::image {

namespace {

std::string kernel_release() {
  struct utsname u;
  if (::uname(&u) < 0) return "unknown";
  return u.release;
}

bool kernel_at_least(const std::string& release, int major, int minor) {
  int a = 0, b = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &a, &b) != 2) return false;
  return a > major || (a == major && b >= minor);
}

bool write_in_child(const char* path, const std::string& text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// Mounts an overlay of lower/upper/work on merged in dir from a child in a new mount namespace
// (in a new user namespace too when userns), so that nothing stays mounted.
bool overlay_mounts(const std::string& dir, bool userns) {
  std::string data = "lowerdir=" + dir + "/lower,upperdir=" + dir + "/upper,workdir=" + dir +
                     "/work" + (userns ? ",userxattr" : "");
  std::string merged = dir + "/merged";
  std::string uid_map = "0 " + std::to_string(::geteuid()) + " 1\n";
  std::string gid_map = "0 " + std::to_string(::getegid()) + " 1\n";
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS | (userns ? CLONE_NEWUSER : 0)) < 0) ::_exit(1);
    if (userns && (!write_in_child("/proc/self/setgroups", "deny") ||
                   !write_in_child("/proc/self/uid_map", uid_map) ||
                   !write_in_child("/proc/self/gid_map", gid_map)))
      ::_exit(2);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) ::_exit(3);
    if (::mount("overlay", merged.c_str(), "overlay", 0, data.c_str()) < 0) ::_exit(4);
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

Result<bool> probe_overlay(const std::string& snapshots, bool userns) {
  auto root = BERTH_TRY(sys::open(snapshots, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  auto [name, fd] = BERTH_TRY(leftovers::make_locked_dir(root.get(), "probe", snapshots));
  for (const char* sub : {"lower", "upper", "work", "merged"})
    if (::mkdirat(fd.get(), sub, 0755) < 0) {
      auto e = sys_error("mkdir " + quote(fs::join(snapshots, name + "/" + sub)));
      (void)dir_tree::remove(root.get(), name, fs::join(snapshots, name));
      return fail(e);
    }
  bool ok = overlay_mounts(fs::join(snapshots, name), userns);
  BERTH_CHECK(dir_tree::remove(root.get(), name, fs::join(snapshots, name)));
  return ok;
}

bool fuse_overlayfs_works(bool rootless) {
  if (::access("/usr/bin/fuse-overlayfs", X_OK) < 0) return false;
  if (rootless && ::access("/usr/bin/fusermount3", X_OK) < 0 &&
      ::access("/bin/fusermount3", X_OK) < 0)
    return false;
  int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

std::optional<SnapshotterKind> parse_kind(const std::string& name) {
  for (auto kind : {SnapshotterKind::overlay, SnapshotterKind::overlay_userns,
                    SnapshotterKind::fuse_overlayfs, SnapshotterKind::copy})
    if (to_string(kind) == name) return kind;
  return std::nullopt;
}

}  // namespace

Result<SnapshotterKind> detect_snapshotter(const std::string& data_root, bool rootless) {
  static std::mutex mu;
  static std::map<std::pair<std::string, bool>, SnapshotterKind> probed;
  std::lock_guard lock(mu);
  if (auto it = probed.find({data_root, rootless}); it != probed.end()) return it->second;

  const std::string snapshots = fs::join(data_root, "snapshots");
  BERTH_CHECK(fs::mkdir_p(snapshots, 0700));
  const std::string cache = fs::join(snapshots, ".kind");
  const std::string release = kernel_release();
  const std::string mode = rootless ? "rootless" : "rootful";
  if (auto text = fs::read_file(cache)) {
    auto lines = split(*text, '\n');
    if (lines.size() >= 3 && lines[1] == release && lines[2] == mode)
      if (auto kind = parse_kind(lines[0])) return probed[{data_root, rootless}] = *kind;
  }

  SnapshotterKind kind = SnapshotterKind::copy;
  if (!rootless && BERTH_TRY(probe_overlay(snapshots, false)))
    kind = SnapshotterKind::overlay;
  else if (rootless && kernel_at_least(release, 5, 11) && BERTH_TRY(probe_overlay(snapshots, true)))
    kind = SnapshotterKind::overlay_userns;
  else if (fuse_overlayfs_works(rootless))
    kind = SnapshotterKind::fuse_overlayfs;
  BERTH_CHECK(fs::write_file_atomic(
      cache, std::string(to_string(kind)) + "\n" + release + "\n" + mode + "\n", 0600));
  return probed[{data_root, rootless}] = kind;
}

}  // namespace berth::image
