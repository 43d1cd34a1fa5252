#pragma once

#include "base/error.hpp"
#include "engine/container_archive.hpp"

namespace berth::engine {

// Reads a tar (plain or compressed) from tar_fd and creates its entries beneath base_fd, each
// resolved by the kernel with RESOLVE_BENEATH: a name or a symlink that leads out of base_fd fails
// the extraction with an error naming the entry. What was created before stays.
Status extract_beneath(int base_fd, int tar_fd, const ExtractOptions& opts);

}  // namespace berth::engine
