#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

// Paths under a container root, resolved by the kernel as if that root were "/"
// (openat2 RESOLVE_IN_ROOT): symlinks and ".." can never leave it.
namespace berth::root_path {

Result<unique_fd> open(int root_fd, const std::string& path, int flags, mode_t mode = 0);
// Creates every missing directory of path under the root; returns an O_PATH fd of the last one.
Result<unique_fd> mkdir_all(int root_fd, const std::string& path, mode_t mode);
// Makes sure path exists under the root as a directory or (for file bind mounts) an empty file,
// and returns an O_PATH fd to it.
Result<unique_fd> ensure(int root_fd, const std::string& path, bool directory, mode_t mode);

}  // namespace berth::root_path
