#include "runtime/mount_fd.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/root_path.hpp"
#include "base/strings.hpp"
#include "base/syscalls.hpp"

namespace berth::runtime::mount_fd {

namespace {

std::string mount_what(const std::string& source, const std::string& dest,
                       const std::string& type) {
  std::string what = "mount " + quote(source) + " on " + quote(dest);
  if (!type.empty()) what += " type " + type;
  return what;
}

}  // namespace

Status mount_fs(const std::string& source, int target_fd, const std::string& dest,
                const std::string& type, unsigned long flags, const std::string& data) {
  std::string target = sys::fd_path(target_fd);
  if (::mount(source.c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) < 0) {
    int e = errno;
    std::string what = mount_what(source, dest, type);
    // The kernel does not say which filesystem option it refused: show them all.
    if (e == EINVAL && !data.empty()) what += " with " + quote(data);
    return fail(sys_error(e, what));
  }
  return {};
}

Result<unique_fd> ensure(int root_fd, const std::string& path, bool directory) {
  const int kind = O_PATH | (directory ? O_DIRECTORY : 0);
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  // A dangling symlink at the destination (an image's /etc/resolv.conf) is followed, in the
  // root, to where its target is made.
  for (int hops = 0; hops < 40; ++hops) {
    auto fd = root_path::open(root_fd, p, kind);
    if (fd || fd.error().errno_value != ENOENT) return fd;
    auto slash = p.find_last_of('/');
    std::string parent = slash == std::string::npos ? "/" : p.substr(0, slash);
    std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
    if (parent.empty()) parent = "/";
    if (name.empty() || name == "." || name == "..") return root_path::mkdir_all(root_fd, p, 0755);
    auto dir = root_path::open(root_fd, parent, O_PATH | O_DIRECTORY);
    if (!dir && dir.error().errno_value == ENOENT)
      dir = root_path::mkdir_all(root_fd, parent, 0755);
    if (!dir) return fail(dir.error());
    // mkdirat and mknodat never follow a symlink: EEXIST is how a dangling one shows.
    int r = directory ? ::mkdirat(dir->get(), name.c_str(), 0755)
                      : ::mknodat(dir->get(), name.c_str(), S_IFREG | 0644, 0);
    if (r == 0) continue;
    if (errno != EEXIST) return fail_sys((directory ? "mkdir " : "create ") + quote(p));
    char target[4096];
    ssize_t n = ::readlinkat(dir->get(), name.c_str(), target, sizeof target - 1);
    if (n > 0) {
      target[n] = '\0';
      p = target[0] == '/' ? std::string(target) : parent + "/" + target;
    }
  }
  return fail(sys_error(ELOOP, "resolve " + quote(path)));
}

Result<unique_fd> clone_tree(int dirfd, const std::string& path, bool recursive, bool nofollow,
                             const std::string& what) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  if (recursive) flags |= AT_RECURSIVE;
  if (nofollow) flags |= AT_SYMLINK_NOFOLLOW;
  if (path.empty()) flags |= AT_EMPTY_PATH;
  int fd = ::open_tree(dirfd, path.c_str(), flags);
  if (fd < 0) return fail_sys("open_tree " + quote(what));
  return unique_fd(fd);
}

Status set_attrs(int mnt_fd, uint64_t set, uint64_t clr, bool recursive, const std::string& what) {
  if (set == 0 && clr == 0) return {};
  struct mount_attr attr = {};
  attr.attr_set = set;
  attr.attr_clr = clr;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (::mount_setattr(mnt_fd, "", flags, &attr, sizeof(attr)) < 0)
    return fail_sys("mount_setattr " + quote(what));
  return {};
}

Status set_propagation(int mnt_fd, unsigned long flag, const std::string& what) {
  struct mount_attr attr = {};
  attr.propagation = flag & ~static_cast<unsigned long>(MS_REC);
  unsigned flags = AT_EMPTY_PATH | ((flag & MS_REC) ? AT_RECURSIVE : 0);
  if (::mount_setattr(mnt_fd, "", flags, &attr, sizeof(attr)) < 0)
    return fail_sys("set propagation of " + quote(what));
  return {};
}

Status attach(int mnt_fd, int target_fd, const std::string& what) {
  if (::move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
      0)
    return fail_sys("move_mount onto " + quote(what));
  return {};
}

Status bind_host(const std::string& host_path, int target_fd, uint64_t set, uint64_t clr,
                 const std::string& what) {
  auto tree = BERTH_TRY(clone_tree(AT_FDCWD, host_path, true, false, host_path));
  BERTH_CHECK(set_attrs(tree.get(), set, clr, false, what));
  return attach(tree.get(), target_fd, what);
}

Result<unique_fd> new_tmpfs(uint64_t attrs, const std::string& options) {
  unique_fd fs(::fsopen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs) return fail_sys("fsopen tmpfs");
  for (const auto& opt : split(options, ',')) {
    if (opt.empty()) continue;
    auto eq = opt.find('=');
    int r = eq == std::string::npos
                ? ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, opt.c_str(), nullptr, 0)
                : ::fsconfig(fs.get(), FSCONFIG_SET_STRING, opt.substr(0, eq).c_str(),
                             opt.c_str() + eq + 1, 0);
    if (r < 0) return fail_sys("tmpfs option " + quote(opt));
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    return fail_sys("create tmpfs");
  int mnt = ::fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs));
  if (mnt < 0) return fail_sys("fsmount tmpfs");
  return unique_fd(mnt);
}

}  // namespace berth::runtime::mount_fd
