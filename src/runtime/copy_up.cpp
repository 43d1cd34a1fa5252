#include "runtime/copy_up.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

#include "base/syscalls.hpp"

namespace berth::runtime {

namespace {

Status copy_entry(int src_dir, int dst_dir, const char* name, const std::string& where);

}  // namespace

Status copy_tree(int src_dir, int dst_dir, const std::string& where) {
  int dup_fd = ::fcntl(src_dir, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return fail_sys("dup");
  DIR* dir = ::fdopendir(dup_fd);
  if (dir == nullptr) {
    ::close(dup_fd);
    return fail_sys("opendir " + quote(where));
  }
  Status result;
  while (struct dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    result = copy_entry(src_dir, dst_dir, e->d_name, where);
    if (!result) break;
  }
  ::closedir(dir);
  return result;
}

namespace {

Status copy_entry(int src_dir, int dst_dir, const char* name, const std::string& where) {
  std::string path = where + "/" + name;
  struct stat st;
  if (::fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return fail_sys("stat " + quote(path));
  mode_t perm = st.st_mode & 07777;
  if (S_ISDIR(st.st_mode)) {
    if (::mkdirat(dst_dir, name, perm) < 0 && errno != EEXIST)
      return fail_sys("mkdir " + quote(path));
    auto from = BERTH_TRY(sys::openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    auto to = BERTH_TRY(sys::openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    BERTH_CHECK(copy_tree(from.get(), to.get(), path));
  } else if (S_ISREG(st.st_mode)) {
    auto from = BERTH_TRY(sys::openat(src_dir, name, O_RDONLY | O_NOFOLLOW));
    auto to = BERTH_TRY(sys::openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, perm));
    char buf[65536];
    for (;;) {
      size_t n = BERTH_TRY(sys::read_some(from.get(), buf, sizeof buf));
      if (n == 0) break;
      if (auto w = sys::write_all(to.get(), buf, n); !w) return fail(w.error().wrap(path));
    }
  } else if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(src_dir, name, target.data(), target.size());
    if (n < 0) return fail_sys("readlink " + quote(path));
    target.resize(static_cast<size_t>(n));
    if (::symlinkat(target.c_str(), dst_dir, name) < 0) return fail_sys("symlink " + quote(path));
  } else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
    if (::mknodat(dst_dir, name, st.st_mode, 0) < 0) return fail_sys("mknod " + quote(path));
  } else {
    // Device nodes from the image are not copied: only the devices cgroup would guard them.
    return {};
  }
  // EINVAL: an owner that the user namespace does not map stays the creator's.
  if (::fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
    return fail_sys("chown " + quote(path));
  if (!S_ISLNK(st.st_mode) && ::fchmodat(dst_dir, name, perm, 0) < 0)
    return fail_sys("chmod " + quote(path));
  return {};
}

}  // namespace

}  // namespace berth::runtime
