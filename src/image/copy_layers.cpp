#include "image/copy_layers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "image/dir_tree.hpp"
#include "image/entry_copy.hpp"

namespace berth::image::copy_layers {

namespace {

struct Context {
  int rootfs_fd;
  std::string shown;
  bool root = ::geteuid() == 0;
  std::map<std::pair<dev_t, ino_t>, std::string> linked;  // first copy of each hard-linked inode
};

std::string entry_path(int dir_fd, const std::string& name) {
  return sys::fd_path(dir_fd) + "/" + name;
}

std::optional<std::string> get_xattr(const std::string& path, const char* key) {
  char buf[16];
  ssize_t n = ::lgetxattr(path.c_str(), key, buf, sizeof(buf));
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

bool is_whiteout(int dir_fd, const std::string& name, const struct stat& st) {
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return true;
  if (!S_ISREG(st.st_mode) || st.st_size != 0) return false;
  std::string path = entry_path(dir_fd, name);
  return get_xattr(path, "user.overlay.whiteout") || get_xattr(path, "trusted.overlay.whiteout");
}

bool is_opaque(int dir_fd, const std::string& name) {
  std::string path = entry_path(dir_fd, name);
  return get_xattr(path, "trusted.overlay.opaque") == "y" ||
         get_xattr(path, "user.overlay.opaque") == "y";
}

Status copy_metadata(const Context& ctx, int src_dir, int dst_dir, const std::string& name,
                     const struct stat& st, const std::string& shown) {
  entry_copy::Options opts{.owner_required = ctx.root, .xattrs_required = false};
  return entry_copy::copy_metadata(src_dir, dst_dir, name, st, st.st_uid, st.st_gid, opts, shown);
}

Status copy_entry(Context& ctx, int src_dir, int dst_dir, const std::string& name,
                  const std::string& rel, const struct stat& st) {
  const std::string shown = ctx.shown + "/" + rel;
  if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
    auto [it, first] = ctx.linked.try_emplace({st.st_dev, st.st_ino}, rel);
    if (!first) return entry_copy::link_beneath(ctx.rootfs_fd, it->second, dst_dir, name, shown);
  }
  BERTH_CHECK(entry_copy::create(src_dir, dst_dir, name, st, shown));
  return copy_metadata(ctx, src_dir, dst_dir, name, st, shown);
}

Status apply_dir(Context& ctx, int src_dir, int dst_dir, const std::string& rel) {
  auto names = BERTH_TRY(fs::names_at(src_dir, ctx.shown + "/" + rel));
  for (const auto& name : names) {
    const std::string child = rel.empty() ? name : rel + "/" + name;
    const std::string shown = ctx.shown + "/" + child;
    struct stat st;
    if (::fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
      return fail_sys("stat " + quote(shown));
    struct stat existing;
    bool exists = ::fstatat(dst_dir, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;
    if (is_whiteout(src_dir, name, st)) {
      if (exists) BERTH_CHECK(dir_tree::remove(dst_dir, name, shown));
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (exists) BERTH_CHECK(dir_tree::remove(dst_dir, name, shown));
      BERTH_CHECK(copy_entry(ctx, src_dir, dst_dir, name, child, st));
      continue;
    }
    // A directory merges with the one below, unless opaque; it replaces anything else.
    if (exists && (!S_ISDIR(existing.st_mode) || is_opaque(src_dir, name))) {
      BERTH_CHECK(dir_tree::remove(dst_dir, name, shown));
      exists = false;
    }
    if (!exists && ::mkdirat(dst_dir, name.c_str(), 0700) < 0)
      return fail_sys("mkdir " + quote(shown));
    if (exists && ::fchmodat(dst_dir, name.c_str(), 0700, 0) < 0)
      return fail_sys("chmod " + quote(shown));
    auto src_sub = BERTH_TRY(sys::openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    auto dst_sub = BERTH_TRY(sys::openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    BERTH_CHECK(apply_dir(ctx, src_sub.get(), dst_sub.get(), child));
    BERTH_CHECK(copy_metadata(ctx, src_dir, dst_dir, name, st, shown));
  }
  return {};
}

}  // namespace

Status apply(int layer_fd, int rootfs_fd, const std::string& shown_layer) {
  Context ctx{rootfs_fd, shown_layer, ::geteuid() == 0, {}};
  BERTH_CHECK(apply_dir(ctx, layer_fd, rootfs_fd, ""));
  // The root takes the layer root's owner, mode and times, as the layer's "./" entry said.
  struct stat st;
  if (::fstat(layer_fd, &st) < 0) return fail_sys("stat " + quote(shown_layer));
  if (::fchown(rootfs_fd, st.st_uid, st.st_gid) < 0 && (ctx.root || errno != EPERM))
    return fail_sys("chown root of " + quote(shown_layer));
  if (::fchmod(rootfs_fd, st.st_mode & 07777) < 0)
    return fail_sys("chmod root of " + quote(shown_layer));
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(rootfs_fd, times) < 0) return fail_sys("utimes root of " + quote(shown_layer));
  return {};
}

}  // namespace berth::image::copy_layers
