#include "image/dir_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <utility>
#include <vector>

#include "base/fs.hpp"
#include "base/syscalls.hpp"

namespace berth::image::dir_tree {

namespace {

Result<unique_fd> open_dir_for_removal(int dir_fd, const std::string& name,
                                       const std::string& shown) {
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EACCES) {
    // Not readable by its owner: chmod through an O_PATH fd's magic link, which fchmod can't take.
    auto path_fd = BERTH_TRY(sys::openat(dir_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW));
    if (::chmod(sys::fd_path(path_fd.get()).c_str(), 0700) < 0)
      return fail_sys("chmod " + quote(shown));
    fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) return fail_sys("open " + quote(shown));
  unique_fd owned(fd);
  struct stat st;
  if (::fstat(fd, &st) < 0) return fail_sys("stat " + quote(shown));
  if ((st.st_mode & 0700) != 0700 && ::fchmod(fd, (st.st_mode & 07777) | 0700) < 0)
    return fail_sys("chmod " + quote(shown));
  return owned;
}

Status remove_at(int dir_fd, const std::string& name, const std::string& shown) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR && errno != EPERM) return fail_sys("remove " + quote(shown));
  auto fd = open_dir_for_removal(dir_fd, name, shown);
  if (!fd) {
    if (fd.error().errno_value == ENOENT) return {};
    return fail(fd.error());
  }
  auto names = BERTH_TRY(fs::names_at(fd->get(), shown));
  for (const auto& child : names) BERTH_CHECK(remove_at(fd->get(), child, shown + "/" + child));
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
    return fail_sys("remove " + quote(shown));
  return {};
}

Status add_bytes(int dir_fd, const std::string& shown, std::set<std::pair<dev_t, ino_t>>& seen,
                 uint64_t& total) {
  auto names = BERTH_TRY(fs::names_at(dir_fd, shown));
  for (const auto& name : names) {
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) continue;
      return fail_sys("stat " + quote(shown + "/" + name));
    }
    if (S_ISREG(st.st_mode)) {
      if (st.st_nlink > 1 && !seen.emplace(st.st_dev, st.st_ino).second) continue;
      total += static_cast<uint64_t>(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      auto sub = sys::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (!sub) return fail(sub.error().wrap("size of " + quote(shown)));
      BERTH_CHECK(add_bytes(sub->get(), shown + "/" + name, seen, total));
    }
  }
  return {};
}

}  // namespace

Status remove(int dir_fd, const std::string& name, const std::string& shown) {
  return remove_at(dir_fd, name, shown);
}

Result<uint64_t> regular_bytes(int dir_fd, const std::string& name, const std::string& shown) {
  auto fd = BERTH_TRY(sys::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  std::set<std::pair<dev_t, ino_t>> seen;
  uint64_t total = 0;
  BERTH_CHECK(add_bytes(fd.get(), shown, seen, total));
  return total;
}

}  // namespace berth::image::dir_tree
