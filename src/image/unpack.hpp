#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "image/digest.hpp"

namespace berth::image {

// How whiteouts (.wh.NAME) and opaque markers (.wh..wh..opq) are written, for overlayfs to read the
// layer as a lower directory.
enum class WhiteoutFormat {
  overlay_root,       // char device 0/0, trusted.overlay.opaque=y
  overlay_userxattr,  // char device 0/0 or user.overlay.whiteout file, user.overlay.opaque=y
};

struct UnpackOptions {
  WhiteoutFormat whiteouts = WhiteoutFormat::overlay_root;
  bool keep_ownership = true;  // chown as in the tar; needs root (in its user namespace)
  bool digests = false;        // fill UnpackStats' blob_digest and diff_id
};

struct UnpackStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;
  // With UnpackOptions::digests: sha256 of the whole stream as read, and as decompressed (the
  // layer's diff id), bytes after the tar's end included.
  std::optional<Digest> blob_digest;
  std::optional<Digest> diff_id;
};

// Reads a tar stream (plain, gzip, zstd, xz or bzip2) from tar_fd and writes it under target_dir,
// which must exist. Every path is resolved by the kernel inside target_dir: no entry can write
// outside it. A hostile or broken entry fails the unpack with an error naming the entry; what was
// written before stays, for the caller to remove.
Result<UnpackStats> unpack_layer(int tar_fd, const std::string& target_dir,
                                 const UnpackOptions& opts);

}  // namespace berth::image
