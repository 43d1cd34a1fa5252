#include "image/overlay_probe.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>

namespace berth::image {
namespace {

bool write_all(const char* path, const std::string& text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

}  // namespace

Status try_overlay_mount(const std::string& dir, bool userns, std::optional<probe::Identity> as) {
  const std::string data = "lowerdir=" + dir + "/lower,upperdir=" + dir + "/upper,workdir=" + dir +
                           "/work" + (userns ? ",userxattr" : "");
  const std::string merged = dir + "/merged";
  const std::string uid_map = "0 " + std::to_string(as ? as->uid : ::geteuid()) + " 1\n";
  const std::string gid_map = "0 " + std::to_string(as ? as->gid : ::getegid()) + " 1\n";
  return probe::in_child(as, [&]() -> probe::Failure {
    if (::unshare(CLONE_NEWNS | (userns ? CLONE_NEWUSER : 0)) < 0)
      return probe::failed(userns ? "unshare a user and mount namespace"
                                  : "unshare a mount namespace");
    if (userns) {
      if (!write_all("/proc/self/setgroups", "deny"))
        return probe::failed("write /proc/self/setgroups");
      if (!write_all("/proc/self/uid_map", uid_map)) return probe::failed("write uid_map");
      if (!write_all("/proc/self/gid_map", gid_map)) return probe::failed("write gid_map");
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
      return probe::failed("make mounts private");
    if (::mount("overlay", merged.c_str(), "overlay", 0, data.c_str()) < 0)
      return probe::failed("mount overlay");
    return {};
  });
}

bool fuse_overlayfs_usable(bool rootless) {
  if (::access("/usr/bin/fuse-overlayfs", X_OK) < 0) return false;
  if (rootless && ::access("/usr/bin/fusermount3", X_OK) < 0 &&
      ::access("/bin/fusermount3", X_OK) < 0)
    return false;
  int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

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

}  // namespace berth::image
