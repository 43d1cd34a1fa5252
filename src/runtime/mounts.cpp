#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/root_path.hpp"
#include "base/syscalls.hpp"
#include "runtime/cgroup_mount.hpp"
#include "runtime/copy_up.hpp"
#include "runtime/mount_fd.hpp"
#include "runtime/mount_options.hpp"
#include "runtime/rootfs.hpp"

namespace berth::runtime {

namespace {

struct MountJob {
  const RootfsContext& ctx;
  int root_fd;
  const Mount& m;
  const MountOptions& opts;
  std::string index;  // "mounts[3]"

  Error err(const Error& e) const { return e.wrap(index); }
};

// Binds the host's path onto the destination (already an fd), recursively, with the mount's
// attributes: the fallback for filesystems a user namespace may not mount (sysfs without a
// network namespace, proc without a pid namespace, mqueue without an ipc namespace).
Status bind_host_path(const MountJob& job, const std::string& host_path, int dest_fd) {
  return mount_fd::bind_host(host_path, dest_fd, job.opts.attr_set(), job.opts.attr_clr(),
                             job.m.destination);
}

// The attributes, propagation and (for tmpfs) copied-up contents that a plain mount(2) cannot
// set at once; done on the new mount, found again by its path in the root.
Status after_mount(const MountJob& job, int old_dir_fd) {
  const auto& o = job.opts;
  if (o.propagation.empty() && o.rec_attr_set == 0 && o.rec_attr_clr == 0 && old_dir_fd < 0)
    return {};
  auto fd = BERTH_TRY(root_path::open(job.root_fd, job.m.destination, O_PATH));
  if (old_dir_fd >= 0) {
    auto dir = BERTH_TRY(sys::open(sys::fd_path(fd.get()), O_RDONLY | O_DIRECTORY));
    BERTH_CHECK(copy_tree(old_dir_fd, dir.get(), job.m.destination));
  }
  BERTH_CHECK(
      mount_fd::set_attrs(fd.get(), o.rec_attr_set, o.rec_attr_clr, true, job.m.destination));
  for (unsigned long p : o.propagation)
    BERTH_CHECK(mount_fd::set_propagation(fd.get(), p, job.m.destination));
  return {};
}

// "copy-symlink": a symlink source is recreated at the destination instead of bound.
Status copy_symlink(const MountJob& job, const std::string& source) {
  char target[4096];
  ssize_t n = ::readlink(source.c_str(), target, sizeof target - 1);
  if (n < 0) return fail_sys("readlink " + quote(source));
  target[n] = '\0';
  const std::string& dest = job.m.destination;
  auto slash = dest.find_last_of('/');
  std::string parent = slash == std::string::npos || slash == 0 ? "/" : dest.substr(0, slash);
  std::string name = slash == std::string::npos ? dest : dest.substr(slash + 1);
  auto dir = BERTH_TRY(mount_fd::ensure(job.root_fd, parent, true));
  if (::symlinkat(target, dir.get(), name.c_str()) < 0) return fail_sys("symlink " + quote(dest));
  return {};
}

Status mount_bind(const MountJob& job) {
  const auto& o = job.opts;
  std::string source = job.m.source;
  if (source.empty()) return fail_msg("bind mount without a source");
  if (source[0] != '/') source = fs::join(job.ctx.bundle, source);
  bool nofollow = o.copy_symlink || o.src_nofollow;
  struct stat st;
  if ((nofollow ? ::lstat(source.c_str(), &st) : ::stat(source.c_str(), &st)) < 0)
    return fail_sys("bind source " + quote(source));
  if (o.copy_symlink && S_ISLNK(st.st_mode)) return copy_symlink(job, source);
  bool directory = S_ISDIR(st.st_mode);
  auto tree = BERTH_TRY(mount_fd::clone_tree(AT_FDCWD, source, o.recursive, nofollow, source));
  BERTH_CHECK(mount_fd::set_attrs(tree.get(), o.rec_attr_set, o.rec_attr_clr, true, source));
  BERTH_CHECK(mount_fd::set_attrs(tree.get(), o.attr_set(), o.attr_clr(), false, source));
  auto dest = BERTH_TRY(mount_fd::ensure(job.root_fd, job.m.destination, directory));
  BERTH_CHECK(mount_fd::attach(tree.get(), dest.get(), job.m.destination));
  for (unsigned long p : o.propagation)
    BERTH_CHECK(mount_fd::set_propagation(tree.get(), p, job.m.destination));
  return {};
}

// A detached mount made on the host side (idmapped, attributes already set): attach it.
Status mount_prepared(const MountJob& job, int tree_fd) {
  struct stat st;
  if (::fstat(tree_fd, &st) < 0) return fail_sys("stat prepared mount " + quote(job.m.source));
  auto dest = BERTH_TRY(mount_fd::ensure(job.root_fd, job.m.destination, S_ISDIR(st.st_mode)));
  BERTH_CHECK(mount_fd::attach(tree_fd, dest.get(), job.m.destination));
  for (unsigned long p : job.opts.propagation)
    BERTH_CHECK(mount_fd::set_propagation(tree_fd, p, job.m.destination));
  return {};
}

std::string without_option(const std::string& data, const std::string& prefix) {
  std::string out;
  size_t i = 0;
  while (i <= data.size()) {
    size_t j = data.find(',', i);
    if (j == std::string::npos) j = data.size();
    std::string opt = data.substr(i, j - i);
    if (!opt.empty() && !opt.starts_with(prefix)) out += (out.empty() ? "" : ",") + opt;
    i = j + 1;
  }
  return out;
}

Status mount_filesystem(const MountJob& job) {
  const auto& o = job.opts;
  const auto& type = job.m.type;
  const auto& ctx = job.ctx;
  auto dest = BERTH_TRY(mount_fd::ensure(job.root_fd, job.m.destination, true));
  unsigned long flags = o.flags & ~static_cast<unsigned long>(MS_BIND | MS_REC);
  std::string source = job.m.source.empty() ? type : job.m.source;

  if (type == "cgroup" || type == "cgroup2") {
    bool own_ns = false;
    for (const auto& ns : ctx.spec->linux.namespaces) own_ns = own_ns || ns.type == "cgroup";
    return mount_cgroups({job.root_fd, dest.get(), job.m.destination, type, flags, o.attr_set(),
                          o.attr_clr(), own_ns});
  }
  if (type == "sysfs" && ctx.new_user_namespace && !ctx.new_network_namespace)
    return bind_host_path(job, "/sys", dest.get());

  unique_fd old_dir;
  if (o.tmpcopyup && type == "tmpfs")
    old_dir = BERTH_TRY(sys::open(sys::fd_path(dest.get()), O_RDONLY | O_DIRECTORY));

  auto r = mount_fd::mount_fs(source, dest.get(), job.m.destination, type, flags, o.data);
  if (!r && type == "devpts" && r.error().errno_value == EINVAL &&
      o.data.find("gid=") != std::string::npos) {
    // The tty group may not be mapped in the user namespace: let devpts pick the gid.
    r = mount_fd::mount_fs(source, dest.get(), job.m.destination, type, flags,
                           without_option(o.data, "gid="));
  }
  if (!r && ctx.new_user_namespace && r.error().errno_value == EPERM) {
    if (type == "sysfs") {
      r = bind_host_path(job, "/sys", dest.get());
    } else if (type == "proc") {
      r = bind_host_path(job, "/proc", dest.get());
    } else if (type == "mqueue") {
      r = bind_host_path(job, "/dev/mqueue", dest.get());
      // Without an ipc namespace of its own and no host mqueue to share, it stays empty.
      if (!r && r.error().errno_value == ENOENT) r = {};
    }
  }
  if (!r) return r;
  return after_mount(job, old_dir.get());
}

}  // namespace

Status mount_one(const RootfsContext& ctx, int root_fd, size_t index) {
  const Mount& m = ctx.spec->mounts[index];
  std::string name = "mounts[" + std::to_string(index) + "]";
  bool bind = is_bind_mount(m);
  auto opts = parse_mount_options(m.options, bind);
  if (!opts) return fail(opts.error().wrap(name + " " + quote(m.destination)));
  if (m.destination.empty()) return fail_msg(name + ": empty destination");
  MountJob job{ctx, root_fd, m, *opts, name};
  int prepared = index < ctx.prepared_mount_fds.size() ? ctx.prepared_mount_fds[index] : -1;
  Status r;
  if (prepared >= 0)
    r = mount_prepared(job, prepared);
  else if (opts->bind)
    r = mount_bind(job);
  else
    r = mount_filesystem(job);
  if (!r) return fail(job.err(r.error()));
  return {};
}

}  // namespace berth::runtime
