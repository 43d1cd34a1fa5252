#include "base/syscalls.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace berth::sys {

namespace {

template <typename F>
auto retry(F f) {
  decltype(f()) r;
  do {
    r = f();
  } while (r < 0 && errno == EINTR);
  return r;
}

}  // namespace

Result<unique_fd> open(const std::string& path, int flags, mode_t mode) {
  int fd = retry([&] { return ::open(path.c_str(), flags | O_CLOEXEC, mode); });
  if (fd < 0) return fail_sys("open " + quote(path));
  return unique_fd(fd);
}

Result<unique_fd> openat(int dirfd, const std::string& path, int flags, mode_t mode) {
  int fd = retry([&] { return ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode); });
  if (fd < 0) return fail_sys("open " + quote(path));
  return unique_fd(fd);
}

Result<unique_fd> openat2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve,
                          mode_t mode) {
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.resolve = resolve;
  if (flags & (O_CREAT | O_TMPFILE)) how.mode = mode;
  // With RESOLVE_IN_ROOT or RESOLVE_BENEATH, a ".." that races with a rename or a mount anywhere
  // on the system gives EAGAIN (the kernel cannot prove it stayed inside): asked to try again.
  int fd = -1;
  for (int attempt = 0; attempt < 64; ++attempt) {
    fd = retry([&] {
      return static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof(how)));
    });
    if (fd >= 0 || errno != EAGAIN) break;
  }
  if (fd < 0) return fail_sys("open " + quote(path));
  return unique_fd(fd);
}

Result<pid_t> clone3(uint64_t flags, int* pidfd, int cgroup_fd) {
  struct clone_args args = {};
  args.flags = flags;
  // With CLONE_PARENT the child takes the exit signal of ours, and the kernel wants none given.
  args.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
  if (pidfd != nullptr) {
    args.flags |= CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  }
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  long pid = ::syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0) return fail_sys("clone3");
  return static_cast<pid_t>(pid);
}

Status mount(const std::string& source, const std::string& target, const std::string& fstype,
             unsigned long flags, const std::string& data) {
  int r = ::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
                  fstype.empty() ? nullptr : fstype.c_str(), flags,
                  data.empty() ? nullptr : data.c_str());
  if (r < 0) {
    std::string what = "mount " + quote(source) + " on " + quote(target);
    if (!fstype.empty()) what += " type " + fstype;
    return fail_sys(what);
  }
  return {};
}

Status umount2(const std::string& target, int flags) {
  if (::umount2(target.c_str(), flags) < 0) return fail_sys("umount " + quote(target));
  return {};
}

Result<unique_fd> open_tree(int dirfd, const std::string& path, unsigned flags) {
  int fd = ::open_tree(dirfd, path.c_str(), flags | OPEN_TREE_CLOEXEC);
  if (fd < 0) return fail_sys("open_tree " + quote(path));
  return unique_fd(fd);
}

Status move_mount(int from_dirfd, const std::string& from_path, int to_dirfd,
                  const std::string& to_path, unsigned flags) {
  if (::move_mount(from_dirfd, from_path.c_str(), to_dirfd, to_path.c_str(), flags) < 0)
    return fail_sys("move_mount to " + quote(to_path));
  return {};
}

Status mount_setattr(int dirfd, const std::string& path, unsigned flags, uint64_t attr_set,
                     uint64_t attr_clr, uint64_t propagation, int userns_fd) {
  struct mount_attr attr = {};
  attr.attr_set = attr_set;
  attr.attr_clr = attr_clr;
  attr.propagation = propagation;
  if (userns_fd >= 0) attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (::mount_setattr(dirfd, path.c_str(), flags, &attr, sizeof(attr)) < 0)
    return fail_sys("mount_setattr " + quote(path));
  return {};
}

Status pivot_root(const std::string& new_root, const std::string& put_old) {
  if (::syscall(SYS_pivot_root, new_root.c_str(), put_old.c_str()) < 0)
    return fail_sys("pivot_root " + quote(new_root));
  return {};
}

Result<unique_fd> pidfd_open(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return fail_sys("pidfd_open " + std::to_string(pid));
  return unique_fd(fd);
}

Status pidfd_send_signal(int pidfd, int sig) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0)
    return fail_sys("send signal " + std::to_string(sig));
  return {};
}

Status setns(int fd, int nstype, const std::string& what) {
  if (::setns(fd, nstype) < 0) return fail_sys("setns " + what);
  return {};
}

Status write_all(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_sys("write");
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return {};
}

Status write_all(int fd, const std::string& data) {
  return write_all(fd, data.data(), data.size());
}

Result<size_t> read_some(int fd, void* data, size_t len) {
  ssize_t n = retry([&] { return ::read(fd, data, len); });
  if (n < 0) return fail_sys("read");
  return static_cast<size_t>(n);
}

std::string fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

}  // namespace berth::sys
