#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "image/blob_writer.hpp"
#include "image/digest.hpp"

namespace berth::image {

// Content-addressed blobs: <root>/blobs/sha256/<hex>, read-only (0444) once committed, and
// <root>/ingest/<hex> for writes in progress. Every access goes through directory fds opened once,
// with O_NOFOLLOW on each name: nothing in the store is reached through a symlink.
class ContentStore {
 public:
  // Creates the directories (0700) as needed.
  static Result<ContentStore> open(const std::string& root);

  const std::string& root() const { return root_; }
  std::string path(const Digest& d) const;
  bool has(const Digest& d) const;
  // A whole small blob (manifest, config), refused above max_size, verified against its digest.
  Result<std::string> read(const Digest& d, size_t max_size) const;
  // A large blob, not verified: its reader hashes what it reads when it must.
  Result<unique_fd> open_blob(const Digest& d) const;
  Result<uint64_t> size(const Digest& d) const;

  enum class Wait { yes, no };
  // Waits for (or, with Wait::no, fails on) another writer of the same digest.
  Result<BlobWriter> writer(const Digest& expected, std::optional<uint64_t> size,
                            Wait wait = Wait::yes) const;
  Result<Digest> put(std::string_view data) const;
  // A missing blob is an error with errno ENOENT.
  Status remove(const Digest& d) const;
  // Sorted; names that are not digests are left out (check() reports them).
  Result<std::vector<Digest>> list() const;
  // Hashes every blob: one line per entry that is not a read-only regular file holding the content
  // its name says.
  Result<std::vector<std::string>> check() const;

 private:
  ContentStore(std::string root, unique_fd blobs_dir, unique_fd ingest_dir)
      : root_(std::move(root)),
        blobs_dir_(std::move(blobs_dir)),
        ingest_dir_(std::move(ingest_dir)) {}

  std::string root_;
  unique_fd blobs_dir_;   // <root>/blobs/sha256
  unique_fd ingest_dir_;  // <root>/ingest
};

}  // namespace berth::image
