#pragma once

#include <cstdint>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

// Mounting by file descriptor (open_tree, mount_setattr, move_mount, fsmount): the target is an
// O_PATH fd resolved in the container root, so no path is looked up again after it was checked.
namespace berth::runtime::mount_fd {

// An O_PATH fd of path under the root, made first when missing: a directory, or an empty file.
Result<unique_fd> ensure(int root_fd, const std::string& path, bool directory);

// mount(2) onto an O_PATH fd through its /proc/self/fd link: one system call and no path walk
// in the container root. what names the target in errors.
Status mount_fs(const std::string& source, int target_fd, const std::string& what,
                const std::string& type, unsigned long flags, const std::string& data);

// A detached copy of the mount tree at dirfd/path ("" for dirfd itself); what names it in errors.
Result<unique_fd> clone_tree(int dirfd, const std::string& path, bool recursive, bool nofollow,
                             const std::string& what);

// mount_setattr on the mount fd (and every mount under it when recursive); a no-op without
// attributes to change.
Status set_attrs(int mnt_fd, uint64_t set, uint64_t clr, bool recursive, const std::string& what);

// Propagation (MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, maybe | MS_REC) of an attached
// mount.
Status set_propagation(int mnt_fd, unsigned long flag, const std::string& what);

// Attaches a detached mount onto the target fd.
Status attach(int mnt_fd, int target_fd, const std::string& what);

// Binds the host's path (and the mounts under it) onto the target fd, with the attributes set
// on its top mount.
Status bind_host(const std::string& host_path, int target_fd, uint64_t set, uint64_t clr,
                 const std::string& what);

// A new detached tmpfs (fsopen/fsmount) with the given MOUNT_ATTR_* and options ("mode=755").
Result<unique_fd> new_tmpfs(uint64_t attrs, const std::string& options);

}  // namespace berth::runtime::mount_fd
