#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/root_path.hpp"
#include "base/syscalls.hpp"
#include "runtime/mount_fd.hpp"
#include "runtime/rootfs.hpp"

namespace berth::runtime {

namespace {

// O_PATH fd of path in the current root; an invalid fd when it does not exist.
Result<unique_fd> open_existing(int root_fd, const std::string& path) {
  if (path.empty() || path[0] != '/') return fail_msg(quote(path) + " is not an absolute path");
  auto fd = root_path::open(root_fd, path, O_PATH);
  if (!fd && fd.error().errno_value == ENOENT) return unique_fd();
  return fd;
}

// The container's /dev/null, checked to be the real device: a planted symlink or file there
// would otherwise be what every masked file shows (or what gets bound over it).
Result<unique_fd> open_dev_null(int root_fd) {
  auto fd = BERTH_TRY(root_path::open(root_fd, "/dev/null", O_PATH | O_NOFOLLOW));
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return fail_sys("stat \"/dev/null\"");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
    return fail_msg("\"/dev/null\" is not the null device");
  return fd;
}

}  // namespace

Status make_readonly_paths(const std::vector<std::string>& paths) {
  if (paths.empty()) return {};
  auto root = BERTH_TRY(sys::open("/", O_PATH | O_DIRECTORY));
  for (const auto& path : paths) {
    auto target = BERTH_TRY(open_existing(root.get(), path));
    if (!target) continue;
    auto tree = BERTH_TRY(mount_fd::clone_tree(target.get(), "", true, false, path));
    BERTH_CHECK(mount_fd::set_attrs(tree.get(), MOUNT_ATTR_RDONLY, 0, true, path));
    BERTH_CHECK(mount_fd::attach(tree.get(), target.get(), path));
  }
  return {};
}

Status mask_paths(const std::vector<std::string>& paths) {
  if (paths.empty()) return {};
  auto root = BERTH_TRY(sys::open("/", O_PATH | O_DIRECTORY));
  unique_fd dev_null;
  for (const auto& path : paths) {
    auto target = BERTH_TRY(open_existing(root.get(), path));
    if (!target) continue;
    struct stat st;
    if (::fstat(target.get(), &st) < 0) return fail_sys("stat " + quote(path));
    unique_fd mask;
    if (S_ISDIR(st.st_mode)) {
      auto tmpfs = mount_fd::new_tmpfs(MOUNT_ATTR_RDONLY, "");
      if (!tmpfs) return fail(tmpfs.error().wrap("mask " + quote(path)));
      mask = std::move(*tmpfs);
    } else {
      if (!dev_null) dev_null = BERTH_TRY(open_dev_null(root.get()));
      mask = BERTH_TRY(mount_fd::clone_tree(dev_null.get(), "", false, false, "/dev/null"));
    }
    BERTH_CHECK(mount_fd::attach(mask.get(), target.get(), path));
  }
  return {};
}

}  // namespace berth::runtime
