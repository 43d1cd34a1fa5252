#pragma once

#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

// File operations the content store and its writers share; names are single path components
// relative to a directory fd, and none of them follows a symlink.
namespace berth::image::blob_files {

// A regular file (not a symlink, not anything else) named name in dirfd.
bool is_regular_at(int dirfd, const std::string& name);
Result<unique_fd> dup(int fd, const std::string& shown);
Status fsync(int fd, const std::string& shown);

}  // namespace berth::image::blob_files
