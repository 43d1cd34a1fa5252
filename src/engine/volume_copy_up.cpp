#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string_view>
#include <utility>

#include "base/fs.hpp"
#include "base/root_path.hpp"
#include "base/syscalls.hpp"
#include "engine/volume_options.hpp"
#include "engine/volume_store.hpp"

namespace berth::engine {
namespace {

// One copy of a tree between two directory fds: every entry is reached by one name in an open
// directory, never followed when it is a symlink, so neither side can be escaped.
class TreeCopy {
 public:
  TreeCopy(int dst_root, bool privileged, const OwnerTranslation& translate)
      : dst_root_(dst_root), privileged_(privileged), translate_(translate) {}

  Status copy_dir(int src_dir, int dst_dir, const std::string& rel) {
    auto names = BERTH_TRY(fs::names_at(src_dir, shown(rel)));
    for (const auto& name : names)
      BERTH_CHECK(copy_entry(src_dir, dst_dir, name, rel.empty() ? name : rel + "/" + name));
    return {};
  }

  // Owner and mode of the copied folder itself, as Docker gives the volume root the image's.
  Status copy_attributes(int src_fd, int dst_fd, const std::string& rel) {
    struct stat st;
    if (::fstat(src_fd, &st) < 0) return fail_sys("stat " + quote(shown(rel)));
    BERTH_CHECK(own(dst_fd, "", st, rel));
    if (::fchmod(dst_fd, st.st_mode & 07777) < 0) return fail_sys("chmod " + quote(rel));
    return {};
  }

 private:
  static std::string shown(const std::string& rel) { return rel.empty() ? "." : rel; }

  Status own(int dir, const char* name, const struct stat& st, const std::string& rel) {
    int flags = AT_SYMLINK_NOFOLLOW | (*name == '\0' ? AT_EMPTY_PATH : 0);
    auto [uid, gid] =
        translate_ ? translate_(st.st_uid, st.st_gid) : std::pair{st.st_uid, st.st_gid};
    if (::fchownat(dir, name, uid, gid, flags) == 0) return {};
    // EINVAL: an owner the user namespace does not map; EPERM: not root, the copy stays ours.
    if (errno == EINVAL || (errno == EPERM && !privileged_)) return {};
    return fail_sys("chown " + quote(rel));
  }

  Status set_times(int dir, const char* name, const struct stat& st, const std::string& rel) {
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) < 0)
      return fail_sys("set times of " + quote(rel));
    return {};
  }

  Status copy_entry(int src_dir, int dst_dir, const std::string& name, const std::string& rel) {
    const char* n = name.c_str();
    struct stat st;
    if (::fstatat(src_dir, n, &st, AT_SYMLINK_NOFOLLOW) < 0) return fail_sys("stat " + quote(rel));
    mode_t perm = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dst_dir, n, 0700) < 0) return fail_sys("mkdir " + quote(rel));
      auto from = BERTH_TRY(sys::openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      auto to = BERTH_TRY(sys::openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      BERTH_CHECK(copy_dir(from.get(), to.get(), rel));
    } else if (S_ISREG(st.st_mode) && st.st_nlink > 1 && links_.contains({st.st_dev, st.st_ino})) {
      // A hard link of a file copied already: the same link in the volume.
      const std::string& first = links_.at({st.st_dev, st.st_ino});
      if (::linkat(dst_root_, first.c_str(), dst_dir, n, 0) < 0)
        return fail_sys("link " + quote(rel) + " to " + quote(first));
      return {};
    } else if (S_ISREG(st.st_mode)) {
      auto from = BERTH_TRY(sys::openat(src_dir, name, O_RDONLY | O_NOFOLLOW));
      auto to = BERTH_TRY(
          sys::openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, perm & 0700));
      char buf[65536];
      for (;;) {
        size_t got = BERTH_TRY(sys::read_some(from.get(), buf, sizeof buf));
        if (got == 0) break;
        if (auto w = sys::write_all(to.get(), buf, got); !w) return fail(w.error().wrap(rel));
      }
      if (st.st_nlink > 1) links_[{st.st_dev, st.st_ino}] = rel;
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t len = ::readlinkat(src_dir, n, target.data(), target.size());
      if (len < 0) return fail_sys("readlink " + quote(rel));
      target.resize(static_cast<size_t>(len));
      if (::symlinkat(target.c_str(), dst_dir, n) < 0) return fail_sys("symlink " + quote(rel));
    } else if (S_ISFIFO(st.st_mode)) {
      if (::mknodat(dst_dir, n, S_IFIFO | 0600, 0) < 0) return fail_sys("mkfifo " + quote(rel));
    } else {
      // Devices and sockets are not copied: a volume is data, and only the devices cgroup would
      // guard a device node in it.
      return {};
    }
    BERTH_CHECK(own(dst_dir, n, st, rel));
    if (!S_ISLNK(st.st_mode) && ::fchmodat(dst_dir, n, perm, 0) < 0)
      return fail_sys("chmod " + quote(rel));
    return set_times(dst_dir, n, st, rel);
  }

  int dst_root_;
  bool privileged_;
  const OwnerTranslation& translate_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

Status VolumeService::copy_up(const VolumeRecord& volume, int rootfs_dir_fd,
                              const std::string& container_path,
                              const OwnerTranslation& translate) {
  std::string what = "copy " + quote(container_path) + " into volume " + volume.name;
  auto src = root_path::open(rootfs_dir_fd, container_path, O_RDONLY | O_DIRECTORY);
  if (!src) {
    int e = src.error().errno_value;
    if (e == ENOENT || e == ENOTDIR) return {};  // nothing in the image there
    return fail(src.error().wrap(what));
  }
  auto dst = open_data_dir(volume.name, O_RDONLY);
  if (!dst) return fail(dst.error().wrap(what));
  auto existing = fs::names_at(dst->get(), volume.mountpoint);
  if (!existing) return fail(existing.error().wrap(what));
  if (!existing->empty()) return {};  // Docker's rule: only an empty volume gets the files

  TreeCopy copy(dst->get(), ::geteuid() == 0 && !rootless_, translate);
  if (auto done = copy.copy_dir(src->get(), dst->get(), ""); !done)
    return fail(done.error().wrap(what));
  if (auto done = copy.copy_attributes(src->get(), dst->get(), container_path); !done)
    return fail(done.error().wrap(what));
  return {};
}

Status VolumeService::give_empty_root(const VolumeRecord& volume, VolumeOwner owner) {
  // A mounted filesystem (a device, NFS, a bind of a host folder) keeps the owners it has.
  if (local_volume_needs_mount(volume.options)) return {};
  std::string what = "give volume " + volume.name + " to " + std::to_string(owner.uid) + ":" +
                     std::to_string(owner.gid);
  auto dir = open_data_dir(volume.name, O_RDONLY);
  if (!dir) return fail(dir.error().wrap(what));
  struct stat st;
  if (::fstat(dir->get(), &st) < 0) return fail_sys(what + ": stat " + quote(volume.mountpoint));
  if (st.st_uid != 0 || st.st_gid != 0) return {};
  auto existing = fs::names_at(dir->get(), volume.mountpoint);
  if (!existing) return fail(existing.error().wrap(what));
  if (!existing->empty()) return {};
  if (::fchown(dir->get(), owner.uid, owner.gid) < 0)
    return fail_sys(what + ": chown " + quote(volume.mountpoint));
  return {};
}

}  // namespace berth::engine
