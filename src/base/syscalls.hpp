#pragma once

#include <linux/openat2.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

// The raw system calls, in one place: each captures errno at once, retries EINTR, and names the
// operation and the object in its error.
namespace berth::sys {

Result<unique_fd> open(const std::string& path, int flags, mode_t mode = 0);
Result<unique_fd> openat(int dirfd, const std::string& path, int flags, mode_t mode = 0);
Result<unique_fd> openat2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve,
                          mode_t mode = 0);

// clone3(2) with the given CLONE_* flags; returns 0 in the child, the child's pid in the parent.
// pidfd, when not null, receives a pidfd for the child (CLONE_PIDFD).
Result<pid_t> clone3(uint64_t flags, int* pidfd, int cgroup_fd = -1);

Status mount(const std::string& source, const std::string& target, const std::string& fstype,
             unsigned long flags, const std::string& data);
Status umount2(const std::string& target, int flags);
Result<unique_fd> open_tree(int dirfd, const std::string& path, unsigned flags);
Status move_mount(int from_dirfd, const std::string& from_path, int to_dirfd,
                  const std::string& to_path, unsigned flags);
Status mount_setattr(int dirfd, const std::string& path, unsigned flags, uint64_t attr_set,
                     uint64_t attr_clr, uint64_t propagation, int userns_fd);
Status pivot_root(const std::string& new_root, const std::string& put_old);

Result<unique_fd> pidfd_open(pid_t pid);
Status pidfd_send_signal(int pidfd, int sig);
Status setns(int fd, int nstype, const std::string& what);

Status write_all(int fd, const void* data, size_t len);
Status write_all(int fd, const std::string& data);
Result<size_t> read_some(int fd, void* data, size_t len);

// Puts /proc/self/fd/N in a string, the path by which an fd is reopened.
std::string fd_path(int fd);

}  // namespace berth::sys
