#include "image/layer_fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/syscalls.hpp"

namespace berth::image::layer_fs {

namespace {

// /proc/self/fd/N/name: the kernel follows the fd's magic link to the directory itself, and the l*
// xattr calls do not follow name; there is no *at form of them before Linux 6.13.
std::string proc_path(int dir_fd, const std::string& name) {
  std::string p = sys::fd_path(dir_fd);
  if (!name.empty()) p += "/" + name;
  return p;
}

}  // namespace

Status remove(int dir_fd, const std::string& name) {
  return fs::remove_all_at(dir_fd, name);
}

Status create_replacing(int dir_fd, const std::string& name, const std::string& what,
                        const std::function<int()>& create, bool* replaced) {
  if (replaced != nullptr) *replaced = false;
  if (create() >= 0) return {};
  if (errno != EEXIST) return fail_sys(what + " " + quote(name));
  BERTH_CHECK(remove(dir_fd, name));
  if (replaced != nullptr) *replaced = true;
  if (create() < 0) return fail_sys(what + " " + quote(name));
  return {};
}

Status set_xattr(int dir_fd, const std::string& name, const std::string& key,
                 const std::string& value) {
  // The directory itself is reached through its fd's magic link, which must be followed.
  auto set = name.empty() ? ::setxattr : ::lsetxattr;
  if (set(proc_path(dir_fd, name).c_str(), key.c_str(), value.data(), value.size(), 0) < 0)
    return fail_sys("setxattr " + key + " on " + quote(name.empty() ? "." : name));
  return {};
}

Result<std::optional<std::string>> get_xattr(int dir_fd, const std::string& name,
                                             const std::string& key) {
  std::string path = proc_path(dir_fd, name);
  char buf[256];
  auto get = name.empty() ? ::getxattr : ::lgetxattr;
  ssize_t n = get(path.c_str(), key.c_str(), buf, sizeof(buf));
  if (n < 0) {
    if (errno == ENODATA) return std::nullopt;
    return fail_sys("getxattr " + key + " on " + quote(name.empty() ? "." : name));
  }
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace berth::image::layer_fs
