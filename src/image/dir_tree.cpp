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
  return fs::remove_all_at(dir_fd, name, shown);
}

Result<uint64_t> regular_bytes(int dir_fd, const std::string& name, const std::string& shown) {
  auto fd = BERTH_TRY(sys::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  std::set<std::pair<dev_t, ino_t>> seen;
  uint64_t total = 0;
  BERTH_CHECK(add_bytes(fd.get(), shown, seen, total));
  return total;
}

}  // namespace berth::image::dir_tree
