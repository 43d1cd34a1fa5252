#pragma once

#include <cstdint>
#include <string>

#include "base/error.hpp"
#include "image/content_store.hpp"
#include "image/digest.hpp"

namespace berth::image {

struct StoredLayer {
  Digest digest;  // the blob in the store
  uint64_t size = 0;
  std::string media_type;
  Digest diff_id;  // sha256 of the uncompressed tar
};

// Reads a tarball (plain, gzip, zstd, xz or bzip2) from fd in one pass, checks that it is a tar,
// and stores it as a layer: gzip and zstd as they come, anything else as the plain tar.
Result<StoredLayer> store_tarball_layer(const ContentStore& store, int fd);

}  // namespace berth::image
