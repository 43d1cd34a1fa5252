#pragma once

#include <memory>

#include "base/error.hpp"
#include "image/digest.hpp"

struct archive;

namespace berth::image {

// The decompressed bytes of a plain, gzip, zstd, xz or bzip2 stream read from an fd, hashing the
// stream as read (a layer's blob digest) and as decompressed (its diff id) on the way.
class DigestingStream {
 public:
  struct Digests {
    Digest blob;
    Digest diff_id;
  };

  static Result<std::unique_ptr<DigestingStream>> open(int fd);
  ~DigestingStream();
  DigestingStream(const DigestingStream&) = delete;
  DigestingStream& operator=(const DigestingStream&) = delete;

  // The next decompressed bytes, valid until the next call; empty at the end.
  Result<std::string_view> read();
  // Reads (and hashes) whatever the consumer left, to the end of both streams.
  Result<Digests> finish();

 private:
  explicit DigestingStream(int fd);
  static long read_source(archive* a, void* self, const void** buffer);

  int fd_;
  archive* raw_ = nullptr;
  Sha256 blob_hash_;
  Sha256 diff_hash_;
  std::unique_ptr<char[]> source_buf_;
  bool source_done_ = false;
  bool done_ = false;
};

}  // namespace berth::image
