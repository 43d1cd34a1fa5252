#include "runtime/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "runtime/devices.hpp"
#include "runtime/mount_fd.hpp"
#include "runtime/mount_options.hpp"

namespace berth::runtime {

namespace {

constexpr unsigned long kRecSlave = MS_SLAVE | MS_REC;
constexpr unsigned long kRecPrivate = MS_PRIVATE | MS_REC;

Result<unsigned long> root_propagation(const Spec& spec) {
  if (spec.linux.rootfs_propagation.empty()) return kRecSlave;
  auto flag = parse_propagation(spec.linux.rootfs_propagation);
  if (!flag) return fail(flag.error().wrap("linux.rootfsPropagation"));
  return *flag;
}

Status check_absolute(const std::vector<std::string>& paths, const std::string& field) {
  for (const auto& path : paths)
    if (path.empty() || path[0] != '/')
      return fail_msg(field + ": " + quote(path) + " is not an absolute path");
  return {};
}

// pivot_root and MS_MOVE refuse a new root whose parent mount is shared: make the mount that
// holds the rootfs a slave (it still receives from the host), found by walking up until mount(2)
// stops saying "not a mount point".
Status make_parent_mount_slave(const std::string& rootfs) {
  std::string dir = rootfs;
  for (;;) {
    if (::mount(nullptr, dir.c_str(), nullptr, MS_SLAVE, nullptr) == 0) return {};
    if (errno != EINVAL || dir == "/") return fail_sys("make " + quote(dir) + " a slave mount");
    dir = fs::dirname(dir);
    if (dir.empty()) dir = "/";
  }
}

Status pivot(const std::string& rootfs) {
  auto old_root = BERTH_TRY(sys::open("/", O_RDONLY | O_DIRECTORY));
  auto new_root = BERTH_TRY(sys::open(rootfs, O_RDONLY | O_DIRECTORY));
  if (::fchdir(new_root.get()) < 0) return fail_sys("chdir " + quote(rootfs));
  BERTH_CHECK(sys::pivot_root(".", "."));
  // The old root is now stacked on the new one. Made a slave first so that detaching it here
  // cannot propagate an unmount to the host.
  if (::fchdir(old_root.get()) < 0) return fail_sys("chdir to the old root");
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    return fail_sys("make the old root rslave");
  if (::umount2(".", MNT_DETACH) < 0) return fail_sys("unmount the old root");
  return {};
}

Status move_root(const std::string& rootfs) {
  if (::chdir(rootfs.c_str()) < 0) return fail_sys("chdir " + quote(rootfs));
  if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0)
    return fail_sys("move " + quote(rootfs) + " onto \"/\"");
  if (::chroot(".") < 0) return fail_sys("chroot " + quote(rootfs));
  return {};
}

}  // namespace

Status check_rootfs_config(const Spec& spec, const std::string& bundle) {
  BERTH_TRY(root_propagation(spec));
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    std::string name = "mounts[" + std::to_string(i) + "]";
    auto opts = parse_mount_options(m.options, is_bind_mount(m));
    if (!opts) return fail(opts.error().wrap(name + " " + quote(m.destination)));
    if (m.destination.empty()) return fail_msg(name + ": empty destination");
    if (!opts->bind) continue;
    if (m.source.empty()) return fail_msg(name + ": bind mount without a source");
    std::string source = m.source[0] == '/' ? m.source : fs::join(bundle, m.source);
    struct stat st;
    bool nofollow = opts->copy_symlink || opts->src_nofollow;
    if ((nofollow ? ::lstat(source.c_str(), &st) : ::stat(source.c_str(), &st)) < 0)
      return fail(sys_error("bind source " + quote(source)).wrap(name));
  }
  BERTH_CHECK(check_absolute(spec.linux.masked_paths, "linux.maskedPaths"));
  BERTH_CHECK(check_absolute(spec.linux.readonly_paths, "linux.readonlyPaths"));
  return {};
}

Result<unique_fd> mount_rootfs(const RootfsContext& ctx) {
  const Spec& spec = *ctx.spec;
  unsigned long propagation = BERTH_TRY(root_propagation(spec));
  // An unbindable "/" would refuse the bind of the rootfs: it is set at the end instead.
  unsigned long first = (propagation & MS_UNBINDABLE) ? kRecSlave : propagation;
  if (::mount(nullptr, "/", nullptr, first, nullptr) < 0)
    return fail_sys("set propagation of \"/\"");
  if (first != kRecSlave && first != kRecPrivate) BERTH_CHECK(make_parent_mount_slave(ctx.rootfs));
  if (::mount(ctx.rootfs.c_str(), ctx.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    return fail_sys("bind " + quote(ctx.rootfs) + " onto itself");

  // Opened after the bind, so that it is the new mount's root: mounts made through it land there.
  auto root = BERTH_TRY(sys::open(ctx.rootfs, O_PATH | O_DIRECTORY));
  for (size_t i = 0; i < spec.mounts.size(); ++i) BERTH_CHECK(mount_one(ctx, root.get(), i));
  return root;
}

Status populate_dev(const RootfsContext& ctx, int root_fd) {
  const Spec& spec = *ctx.spec;
  if (!needs_dev_setup(spec)) return {};
  BERTH_CHECK(create_devices(root_fd, spec.linux.devices, ctx.new_user_namespace));
  BERTH_CHECK(create_dev_symlinks(root_fd));
  if (spec.process && spec.process->terminal) BERTH_CHECK(create_console_placeholder(root_fd));
  return {};
}

Status enter_rootfs(const RootfsContext& ctx) {
  BERTH_CHECK(ctx.no_pivot ? move_root(ctx.rootfs) : pivot(ctx.rootfs));
  if (::chdir("/") < 0) return fail_sys("chdir \"/\"");
  return {};
}

Status finish_rootfs(const RootfsContext& ctx) {
  const Spec& spec = *ctx.spec;
  if (auto r = make_readonly_paths(spec.linux.readonly_paths); !r)
    return fail(r.error().wrap("linux.readonlyPaths"));
  if (auto r = mask_paths(spec.linux.masked_paths); !r)
    return fail(r.error().wrap("linux.maskedPaths"));
  if (spec.root_readonly) {
    auto root = BERTH_TRY(sys::open("/", O_PATH | O_DIRECTORY));
    auto r = mount_fd::set_attrs(root.get(), MOUNT_ATTR_RDONLY, 0, false, "/");
    if (!r) return fail(r.error().wrap("root.readonly"));
  }
  if (!spec.linux.rootfs_propagation.empty()) {
    unsigned long propagation = BERTH_TRY(root_propagation(spec));
    if (::mount(nullptr, "/", nullptr, propagation, nullptr) < 0)
      return fail_sys("set propagation of \"/\" to " + spec.linux.rootfs_propagation);
  }
  return {};
}

}  // namespace berth::runtime
