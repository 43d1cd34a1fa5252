#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "image/digest.hpp"

namespace berth::image {

// Streams one blob into <root>/ingest/<hex>, hashing as it goes, and moves it to
// <root>/blobs/sha256/<hex> on commit(). Holds an exclusive flock on the ingest file until it
// ends, so one writer per digest works at a time, across processes and threads. A process forked
// meanwhile shares that lock until commit() or abort(), and must not use the writer.
//
// Dropped without commit() (or killed), it leaves the ingest file in place: the next writer of the
// same digest rehashes those bytes and starts at offset(), so a download can continue with a Range
// request, or call restart() when its source can't. The bytes kept are only a guess until commit()
// checks the digest of the whole.
class BlobWriter {
 public:
  BlobWriter(BlobWriter&&) noexcept = default;
  BlobWriter& operator=(BlobWriter&&) noexcept = default;
  ~BlobWriter() = default;

  const Digest& expected() const { return expected_; }
  // The blob is already in the store: write() ignores its data and commit() succeeds at once.
  bool exists() const { return exists_; }
  // Bytes in the ingest file: those kept from an earlier writer plus those written.
  uint64_t offset() const { return offset_; }

  Status write(std::string_view data);
  // Drops the bytes written so far and starts again at offset 0.
  Status restart();
  // Checks size (when known) and digest, then renames into place (fsync of file and dir). On a
  // mismatch the ingest file is removed and the error names expected and actual. Ends the writer.
  Status commit();
  // Removes the ingest file (nothing to resume). Ends the writer.
  Status abort();

 private:
  friend class ContentStore;
  BlobWriter(Digest expected, std::optional<uint64_t> size, const std::string& root,
             unique_fd blobs_dir, unique_fd ingest_dir);
  Status start(bool wait);
  Status resume();
  Status discard();
  void end();
  Status move_into_place();
  bool in_store() const;

  Digest expected_;
  std::optional<uint64_t> size_;
  std::string ingest_path_;  // for messages; the fds below are what is used
  std::string blob_path_;
  unique_fd blobs_dir_;
  unique_fd ingest_dir_;
  unique_fd file_;  // the ingest file; its flock is the writer's claim on the digest
  std::unique_ptr<Sha256> hash_;
  uint64_t offset_ = 0;
  bool exists_ = false;
  bool broken_ = false;
};

}  // namespace berth::image
