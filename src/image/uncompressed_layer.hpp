#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "base/error.hpp"
#include "image/content_store.hpp"
#include "image/digest.hpp"

namespace berth::image {

// A layer blob (plain, gzip, zstd, xz or bzip2) seen as the tar its diff id names.

// The tar's size, found by decompressing the blob once, and checked against diff_id.
Result<uint64_t> uncompressed_layer_size(const ContentStore& store, const Digest& blob,
                                         const Digest& diff_id);
// Hands the tar to sink, block by block.
Status read_uncompressed_layer(const ContentStore& store, const Digest& blob,
                               const std::function<Status(std::string_view)>& sink);

}  // namespace berth::image
