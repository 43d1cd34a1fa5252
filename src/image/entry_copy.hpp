#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

#include "base/error.hpp"

// Copies of one entry of a tree between two directory fds, by one name in each, never following
// a symlink: the parts the copy snapshotter and the mapped layer copies share.
namespace berth::image::entry_copy {

struct Options {
  bool owner_required = true;   // else a chown refused with EPERM (not root) leaves the copy ours
  bool xattrs_required = true;  // else xattrs refused with EPERM or ENOTSUP are left out
  bool overlay_xattrs = false;  // trusted.overlay.* and user.overlay.* copied too
  bool lsm_xattrs = true;       // security.* other than security.capability copied too
};

// name in dst_dir as a new inode of the kind st (from fstatat of name in src_dir) says: a regular
// file with the content, a symlink with the target, or a node; mode 0700 at most, owner the
// caller's. Directories are the caller's.
Status create(int src_dir, int dst_dir, const std::string& name, const struct stat& st,
              const std::string& shown);

// name in dst_dir as a hard link of rel beneath root_fd, resolved without symlinks.
Status link_beneath(int root_fd, const std::string& rel, int dst_dir, const std::string& name,
                    const std::string& shown);

// Owner uid:gid, then the xattrs of name in src_dir, then st's mode and times: chown clears the
// set-id bits and security.capability.
Status copy_metadata(int src_dir, int dst_dir, const std::string& name, const struct stat& st,
                     uid_t uid, gid_t gid, const Options& opts, const std::string& shown);

}  // namespace berth::image::entry_copy
