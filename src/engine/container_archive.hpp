#pragma once

#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <functional>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "engine/owner_translation.hpp"

// docker cp and docker export on a container root given as an open directory fd (/proc/PID/root
// of a running container, the mounted rootfs of a stopped one). Every path under that root is
// resolved by the kernel inside it (openat2 RESOLVE_IN_ROOT); what a tar brings is created beneath
// the destination directory (RESOLVE_BENEATH) and can never leave it.
namespace berth::engine {

// Opens the root of the named container; the CLI gets it from the caller that knows containers.
using RootOpener = std::function<Result<unique_fd>(const std::string& container)>;

// What docker's container path stat (X-Docker-Container-Path-Stat) tells.
struct PathStat {
  std::string name;  // basename of the path as given
  int64_t size = 0;
  mode_t mode = 0;  // st_mode of the path itself (a symlink is not followed)
  struct timespec mtime = {};
  std::string link_target;  // for a symlink: the absolute path in the container it resolves to
};

// Stats container_path (absolute, or relative to /) without following a final symlink. A missing
// path fails with ENOENT and "Could not find the file PATH in container" (the caller adds the
// container's name).
Result<PathStat> stat_path(int root_fd, const std::string& container_path);

// The not-found error of the functions below with the container's name added, as docker says it:
// "Could not find the file /x in container NAME".
Error with_container_name(Error e, const std::string& container);

// container_path with every symlink followed inside the root, as an absolute path there; the part
// that does not exist is kept as written.
Result<std::string> resolve_in_root(int root_fd, const std::string& container_path);

struct ArchiveOptions {
  bool follow_link = false;  // docker cp -L: a final symlink is replaced by what it points to
  std::string name;          // the top entry's name instead of the path's basename
  OwnerTranslation owner;    // owners as the tar gives them, from those the root shows
};

// A tar of container_path written to out_fd, as `docker cp CONTAINER:SRC -` gives it: a file is
// one entry named by its basename, a directory is its entries under its basename, SRC ending in
// "/." (or SRC "/") gives the directory's content under "./". Modes, numeric owners, mtimes,
// symlinks, hard links, device nodes and xattrs (user.*, trusted.*, security.capability) are kept.
Status archive_path(int root_fd, const std::string& container_path, int out_fd,
                    const ArchiveOptions& opts = {});

struct ExtractOptions {
  // docker cp -a: owners as in the tar (needs privilege). Otherwise everything created belongs to
  // uid:gid (the container's root), and nothing is chowned when it already does.
  bool copy_uid_gid = false;
  uid_t uid = 0;
  gid_t gid = 0;
  // Docker's AllowOverwriteDirWithFile: false refuses to replace a directory by a non-directory
  // or the reverse.
  bool overwrite_dir_with_file = false;
  // Entries whose first path component is rebase_from get rebase_to instead (hard link targets
  // too), as docker cp renames a copied file or directory on its way.
  std::string rebase_from;
  std::string rebase_to;
  OwnerTranslation owner;  // with copy_uid_gid: the owner the root shows for the tar's
};

// `docker cp - CONTAINER:DEST`: reads a tar (plain or compressed) from tar_fd and creates its
// entries under container_dest, which must exist as a directory (a final symlink is followed
// inside the root). Absolute names, "..", hard links that leave the destination and entries that
// pass through a symlink pointing out of the destination are refused.
Status extract_to_path(int root_fd, const std::string& container_dest, int tar_fd,
                       const ExtractOptions& opts);

// `docker export`: the whole tree under root_fd as a tar, without a top entry. /proc and /sys are
// written as directories without their content; directories on another filesystem than the root
// (mount points) likewise.
Status export_rootfs(int root_fd, int out_fd, const OwnerTranslation& owner = {});

}  // namespace berth::engine
