#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "base/fs.hpp"
#include "base/root_path.hpp"
#include "base/syscalls.hpp"
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

std::string mount_what(const std::string& source, const std::string& dest,
                       const std::string& type) {
  std::string what = "mount " + quote(source) + " on " + quote(dest);
  if (!type.empty()) what += " type " + type;
  return what;
}

// mount(2) onto an O_PATH fd through its /proc/self/fd link: one system call, no path walk in
// the container root.
Status mount_on_fd(const std::string& source, int target_fd, const std::string& dest,
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

// Binds the host's path onto the destination (already an fd), recursively, with the mount's
// attributes: the fallback for filesystems a user namespace may not mount (sysfs without a
// network namespace, proc without a pid namespace, mqueue without an ipc namespace).
Status bind_host_path(const MountJob& job, const std::string& host_path, int dest_fd) {
  auto tree = BERTH_TRY(mount_fd::clone_tree(AT_FDCWD, host_path, true, false, host_path));
  BERTH_CHECK(mount_fd::set_attrs(tree.get(), job.opts.attr_set(), job.opts.attr_clr(), false,
                                  job.m.destination));
  return mount_fd::attach(tree.get(), dest_fd, job.m.destination);
}

// tmpcopyup: what the image had under the destination, copied into the new tmpfs (read through
// an fd opened before the mount covered it).
Status copy_tree(int src_dir, int dst_dir, const std::string& where);

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

bool cgroup_namespace(const RootfsContext& ctx) {
  for (const auto& ns : ctx.spec->linux.namespaces)
    if (ns.type == "cgroup") return true;
  return false;
}

// One line of /proc/self/cgroup: "4:memory:/path", "1:name=systemd:/", "0::/path".
struct CgroupLine {
  std::string controllers;
  std::string path;
};

Result<std::vector<CgroupLine>> own_cgroups() {
  auto text = BERTH_TRY(fs::read_file("/proc/self/cgroup"));
  std::vector<CgroupLine> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find('\n', i);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(i, end - i);
    i = end + 1;
    auto c1 = line.find(':');
    auto c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    out.push_back({line.substr(c1 + 1, c2 - c1 - 1), line.substr(c2 + 1)});
  }
  return out;
}

std::string cgroup_path_of(const std::vector<CgroupLine>& lines, const std::string& controllers) {
  for (const auto& l : lines)
    if (l.controllers == controllers) return l.path;
  return "/";
}

bool is_fs(const std::string& path, long magic) {
  struct statfs sfs;
  return ::statfs(path.c_str(), &sfs) == 0 && sfs.f_type == magic;
}

Status mount_cgroup2(const MountJob& job, int dest_fd, unsigned long flags) {
  auto r = mount_on_fd("cgroup2", dest_fd, job.m.destination, "cgroup2", flags, "");
  if (r || (r.error().errno_value != EPERM && r.error().errno_value != EBUSY)) return r;
  // A user namespace without its own cgroup namespace may not mount cgroup2: bind our cgroup.
  auto lines = BERTH_TRY(own_cgroups());
  std::string unified =
      is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC) ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  return bind_host_path(job, unified + cgroup_path_of(lines, ""), dest_fd);
}

// cgroup v1 (and hybrid): a tmpfs holding one directory per hierarchy, each the hierarchy
// mounted anew in a cgroup namespace or else our own cgroup of it bound from the host, and the
// unified cgroup2 hierarchy at "unified" when the host has one.
Status mount_cgroup_v1(const MountJob& job, int dest_fd, unsigned long flags) {
  BERTH_CHECK(mount_on_fd(
      "tmpfs", dest_fd, job.m.destination, "tmpfs",
      (flags & ~static_cast<unsigned long>(MS_RDONLY)) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
      "mode=755"));
  auto dir = BERTH_TRY(root_path::open(job.root_fd, job.m.destination, O_PATH | O_DIRECTORY));
  auto lines = BERTH_TRY(own_cgroups());
  bool own_ns = cgroup_namespace(job.ctx);
  for (const auto& l : lines) {
    std::string name = l.controllers, type = "cgroup", data = l.controllers;
    if (name.empty()) {
      name = "unified";
      type = "cgroup2";
      data.clear();
      if (!is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) continue;
    } else if (name.starts_with("name=")) {
      name = name.substr(5);
    }
    std::string host_mount = "/sys/fs/cgroup/" + name;
    std::string dest = job.m.destination + "/" + name;
    if (::mkdirat(dir.get(), name.c_str(), 0755) < 0 && errno != EEXIST)
      return fail_sys("mkdir " + quote(dest));
    auto sub = BERTH_TRY(sys::openat(dir.get(), name, O_PATH | O_DIRECTORY | O_NOFOLLOW));
    Status r;
    if (own_ns) {
      r = mount_on_fd(type, sub.get(), dest, type, flags, data);
    } else {
      auto tree =
          mount_fd::clone_tree(AT_FDCWD, host_mount + l.path, false, false, host_mount + l.path);
      if (!tree && tree.error().errno_value == ENOENT)
        continue;  // hierarchy not at its usual place
      if (!tree) return fail(tree.error());
      r = mount_fd::set_attrs(tree->get(), job.opts.attr_set(), job.opts.attr_clr(), false, dest);
      if (r) r = mount_fd::attach(tree->get(), sub.get(), dest);
    }
    if (!r) return r;
    // "cpu,cpuacct" is reachable as "cpu" and "cpuacct" too, as on the host.
    if (name.find(',') != std::string::npos) {
      size_t i = 0;
      while (i < name.size()) {
        size_t j = name.find(',', i);
        if (j == std::string::npos) j = name.size();
        std::string alias = name.substr(i, j - i);
        i = j + 1;
        if (::symlinkat(name.c_str(), dir.get(), alias.c_str()) < 0 && errno != EEXIST)
          return fail_sys("symlink " + quote(job.m.destination + "/" + alias));
      }
    }
  }
  if (flags & MS_RDONLY) {
    auto top = BERTH_TRY(root_path::open(job.root_fd, job.m.destination, O_PATH | O_DIRECTORY));
    BERTH_CHECK(mount_fd::set_attrs(top.get(), MOUNT_ATTR_RDONLY, 0, false, job.m.destination));
  }
  return {};
}

Status mount_cgroup(const MountJob& job, int dest_fd, unsigned long flags) {
  if (job.m.type == "cgroup2" || is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
    return mount_cgroup2(job, dest_fd, flags);
  return mount_cgroup_v1(job, dest_fd, flags);
}

Status mount_filesystem(const MountJob& job) {
  const auto& o = job.opts;
  const auto& type = job.m.type;
  const auto& ctx = job.ctx;
  auto dest = BERTH_TRY(mount_fd::ensure(job.root_fd, job.m.destination, true));
  unsigned long flags = o.flags & ~static_cast<unsigned long>(MS_BIND | MS_REC);
  std::string source = job.m.source.empty() ? type : job.m.source;

  if (type == "cgroup" || type == "cgroup2") return mount_cgroup(job, dest.get(), flags);
  if (type == "sysfs" && ctx.new_user_namespace && !ctx.new_network_namespace)
    return bind_host_path(job, "/sys", dest.get());

  unique_fd old_dir;
  if (o.tmpcopyup && type == "tmpfs")
    old_dir = BERTH_TRY(sys::open(sys::fd_path(dest.get()), O_RDONLY | O_DIRECTORY));

  auto r = mount_on_fd(source, dest.get(), job.m.destination, type, flags, o.data);
  if (!r && type == "devpts" && r.error().errno_value == EINVAL &&
      o.data.find("gid=") != std::string::npos) {
    // The tty group may not be mapped in the user namespace: let devpts pick the gid.
    r = mount_on_fd(source, dest.get(), job.m.destination, type, flags,
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
