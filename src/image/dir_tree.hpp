#pragma once

#include <cstdint>
#include <string>

#include "base/error.hpp"

// Whole trees in the store (layers, snapshots), named by a directory fd and one name; symlinks
// are never followed.
namespace berth::image::dir_tree {

// Removes name and everything under it; a missing name is not an error. Directories whose mode
// keeps their owner out (0555 from a tar, 0000 from overlay's work dir) are opened up first.
Status remove(int dir_fd, const std::string& name, const std::string& shown);
// Bytes in the regular files under name, each inode counted once.
Result<uint64_t> regular_bytes(int dir_fd, const std::string& name, const std::string& shown);

}  // namespace berth::image::dir_tree
