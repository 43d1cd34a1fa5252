#include "image/entry_copy.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/syscalls.hpp"

namespace berth::image::entry_copy {

namespace {

// /proc/self/fd/N/name: the l* xattr calls do not follow name; there is no *at form of them
// before Linux 6.13.
std::string entry_path(int dir_fd, const std::string& name) {
  return sys::fd_path(dir_fd) + "/" + name;
}

bool overlay_key(const std::string& key) {
  return key.starts_with("trusted.overlay.") || key.starts_with("user.overlay.");
}

bool wanted(const std::string& key, const Options& opts) {
  if (key.empty()) return false;
  if (!opts.overlay_xattrs && overlay_key(key)) return false;
  return opts.lsm_xattrs || !key.starts_with("security.") || key == "security.capability";
}

bool tolerated(const Options& opts) {
  return !opts.xattrs_required && (errno == EPERM || errno == ENOTSUP);
}

Status copy_xattrs(int src_dir, int dst_dir, const std::string& name, const Options& opts,
                   const std::string& shown) {
  std::string src = entry_path(src_dir, name);
  std::string dst = entry_path(dst_dir, name);
  ssize_t size = ::llistxattr(src.c_str(), nullptr, 0);
  if (size < 0 && opts.xattrs_required && errno != ENOTSUP)
    return fail_sys("listxattr " + quote(shown));
  if (size <= 0) return {};
  std::string keys(static_cast<size_t>(size), '\0');
  size = ::llistxattr(src.c_str(), keys.data(), keys.size());
  if (size < 0) return fail_sys("listxattr " + quote(shown));
  keys.resize(static_cast<size_t>(size));
  for (size_t at = 0; at < keys.size();) {
    std::string key = keys.c_str() + at;
    at += key.size() + 1;
    if (!wanted(key, opts)) continue;
    ssize_t n = ::lgetxattr(src.c_str(), key.c_str(), nullptr, 0);
    if (n < 0) continue;
    std::string value(static_cast<size_t>(n), '\0');
    n = ::lgetxattr(src.c_str(), key.c_str(), value.data(), value.size());
    if (n < 0) continue;
    value.resize(static_cast<size_t>(n));
    if (::lsetxattr(dst.c_str(), key.c_str(), value.data(), value.size(), 0) < 0 &&
        !tolerated(opts))
      return fail_sys("setxattr " + key + " on " + quote(shown));
  }
  return {};
}

Status copy_data(int src, int dst, const std::string& shown) {
  if (::ioctl(dst, FICLONE, src) == 0) return {};
  for (;;) {
    ssize_t n = ::copy_file_range(src, nullptr, dst, nullptr, 1 << 30, 0);
    if (n == 0) return {};
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      return fail_sys("copy " + quote(shown));
    break;
  }
  char buf[1 << 16];
  for (;;) {
    auto n = BERTH_TRY(sys::read_some(src, buf, sizeof(buf)));
    if (n == 0) return {};
    BERTH_CHECK(sys::write_all(dst, buf, n));
  }
}

}  // namespace

Status create(int src_dir, int dst_dir, const std::string& name, const struct stat& st,
              const std::string& shown) {
  if (S_ISREG(st.st_mode)) {
    auto src = BERTH_TRY(sys::openat(src_dir, name, O_RDONLY | O_NOFOLLOW));
    auto dst = BERTH_TRY(
        sys::openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, st.st_mode & 0700));
    return copy_data(src.get(), dst.get(), shown);
  }
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(src_dir, name.c_str(), target.data(), target.size());
    if (n < 0) return fail_sys("readlink " + quote(shown));
    target.resize(static_cast<size_t>(n));
    if (::symlinkat(target.c_str(), dst_dir, name.c_str()) < 0)
      return fail_sys("symlink " + quote(shown));
    return {};
  }
  if (::mknodat(dst_dir, name.c_str(), st.st_mode & S_IFMT, st.st_rdev) < 0)
    return fail_sys("mknod " + quote(shown));
  return {};
}

Status link_beneath(int root_fd, const std::string& rel, int dst_dir, const std::string& name,
                    const std::string& shown) {
  auto source = BERTH_TRY(
      sys::openat2(root_fd, rel, O_PATH | O_NOFOLLOW, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS));
  if (::linkat(source.get(), "", dst_dir, name.c_str(), AT_EMPTY_PATH) == 0) return {};
  if (::linkat(AT_FDCWD, sys::fd_path(source.get()).c_str(), dst_dir, name.c_str(),
               AT_SYMLINK_FOLLOW) < 0)
    return fail_sys("link " + quote(shown));
  return {};
}

Status copy_metadata(int src_dir, int dst_dir, const std::string& name, const struct stat& st,
                     uid_t uid, gid_t gid, const Options& opts, const std::string& shown) {
  if (::fchownat(dst_dir, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0 &&
      (opts.owner_required || errno != EPERM))
    return fail_sys("chown " + quote(shown) + " to " + std::to_string(uid) + ":" +
                    std::to_string(gid));
  BERTH_CHECK(copy_xattrs(src_dir, dst_dir, name, opts, shown));
  if (!S_ISLNK(st.st_mode) && ::fchmodat(dst_dir, name.c_str(), st.st_mode & 07777, 0) < 0)
    return fail_sys("chmod " + quote(shown));
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(dst_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0)
    return fail_sys("utimes " + quote(shown));
  return {};
}

}  // namespace berth::image::entry_copy
