#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "image/content_store.hpp"
#include "image/digest.hpp"

namespace berth::image {

// Content whose digest is known only at its end (a docker-save layer, an imported tarball), hashed
// as it is written: in memory while it stays under memory_limit, else in an anonymous file in the
// store's ingest directory, so that commit() can move it into the store without copying it.
class Spool {
 public:
  Spool(const ContentStore& store, size_t memory_limit);
  Spool(Spool&&) noexcept = default;
  Spool& operator=(Spool&&) noexcept = default;
  ~Spool() = default;

  Status write(std::string_view data);
  // Ends the writes.
  const Digest& finish();
  // After finish().
  const Digest& digest() const { return *digest_; }
  uint64_t size() const { return size_; }
  bool in_memory() const { return !file_.valid(); }

  // The whole content, refused above max_size.
  Result<std::string> read(size_t max_size) const;
  // A reader positioned at the start of the content (a memfd for content held in memory).
  Result<unique_fd> open() const;
  // After finish(), puts the content into the store under digest(): links the file into the
  // ingest directory, where the store's writer takes it over, or copies it when it cannot.
  Status commit() const;

 private:
  Status spill();
  Status copy_into(BlobWriter& writer) const;

  const ContentStore* store_;
  size_t memory_limit_;
  std::string memory_;
  unique_fd file_;
  std::unique_ptr<Sha256> hash_;
  std::optional<Digest> digest_;
  uint64_t size_ = 0;
};

}  // namespace berth::image
