#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "runtime/spec.hpp"

// The container's root filesystem: the spec mounts, /dev, pivot_root, masked and read-only paths.
// Everything under the root is resolved in it (openat2 RESOLVE_IN_ROOT) and mounted by fd.
namespace berth::runtime {

struct RootfsContext {
  const Spec* spec = nullptr;
  std::string bundle;  // absolute bundle directory
  std::string rootfs;  // absolute path of root.path (already resolved against bundle)
  bool new_user_namespace = false;
  bool new_network_namespace = false;
  bool no_pivot = false;
  // Detached mounts made on the host side for idmapped mounts (prepare_idmapped_mounts), indexed
  // like spec->mounts; -1 where none. Not owned.
  std::vector<int> prepared_mount_fds;
};

// On the host, before the container is made: what mount_rootfs would refuse later (an unknown
// option, an empty destination, a missing bind source, a bad rootfsPropagation, a relative masked
// or read-only path), with the same error, so that create fails with nothing to undo.
Status check_rootfs_config(const Spec& spec, const std::string& bundle);

// In init, in its new mount namespace, before the pivot: mount_rootfs, then populate_dev.
// Propagation of "/" (rootfsPropagation, default rslave), the rootfs bound onto itself, and every
// spec mount in order. Returns the rootfs bind mount, open O_PATH.
Result<unique_fd> mount_rootfs(const RootfsContext& ctx);
// Default and spec devices, /dev symlinks and /dev/ptmx, and the /dev/console placeholder when
// process.terminal, under root_fd (from mount_rootfs). Under cgroup v1 it must wait for the
// container's device rules: they are written as "deny all" and then each allow, and a mknod in
// between would be refused.
Status populate_dev(const RootfsContext& ctx, int root_fd);

// pivot_root into the rootfs (the old root detached), or with no_pivot MS_MOVE it onto "/" and
// chroot. Ends in "/".
Status enter_rootfs(const RootfsContext& ctx);

// After the pivot: readonlyPaths, maskedPaths, root.readonly, then the final propagation of "/"
// when rootfsPropagation is given.
Status finish_rootfs(const RootfsContext& ctx);

// The steps, one by one.

// Mounts spec->mounts[index] under the root open as root_fd (an fd of the rootfs bind mount).
Status mount_one(const RootfsContext& ctx, int root_fd, size_t index);
// Read-only bind of each path onto itself (the whole tree under it); missing paths are skipped.
// Paths are resolved in the current root.
Status make_readonly_paths(const std::vector<std::string>& paths);
// /dev/null bound on files, an empty read-only tmpfs on directories; missing paths are skipped.
Status mask_paths(const std::vector<std::string>& paths);

}  // namespace berth::runtime
