#pragma once

#include <string>

#include "base/error.hpp"
#include "image/unpack.hpp"

namespace berth::image {

// What a layer entry's last component says in the OCI whiteout convention.
struct WhiteoutName {
  enum Kind { none, whiteout, opaque, aufs_metadata } kind = none;
  std::string hidden;  // for whiteout: the name it removes from lower layers
};
WhiteoutName parse_whiteout(const std::string& base);

// Writes the overlay form of "name is deleted" into dir_fd (an fd of the layer's directory).
// replaced tells whether an entry of the same name was removed first.
Status write_whiteout(int dir_fd, const std::string& name, WhiteoutFormat format, bool* replaced);
// The form write_whiteout falls back to with overlay_userxattr where mknod of 0/0 is refused.
Status write_file_whiteout(int dir_fd, const std::string& name);
// Marks the directory dir_fd opaque: lower layers' entries under it are hidden.
Status mark_opaque(int dir_fd, WhiteoutFormat format);

}  // namespace berth::image
