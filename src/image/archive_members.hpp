#pragma once

#include <map>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "image/content_store.hpp"
#include "image/digest.hpp"
#include "image/spool.hpp"

namespace berth::image {

// One member of an image archive, as read.
struct ArchiveMember {
  std::optional<Digest> blob;    // in the store already, verified
  std::optional<Spool> content;  // a small file, in memory until the archive is understood
  std::string link;              // a symlink's or hard link's target, relative to the archive root
};

// The files of an image archive, read in one pass, since the files that explain the others
// (manifest.json, index.json) may come last: OCI blobs are streamed into the store as they come,
// verified against their names; other files are hashed as they come, small ones kept in memory,
// large ones (layers) put into the store under the digest they turn out to have.
class ArchiveMembers {
 public:
  // Reads a tar (plain, gzip, zstd, xz or bzip2) from fd. Refuses member names that are absolute
  // or contain "..", links that leave the archive, JSON documents above kMaxManifestSize.
  static Result<ArchiveMembers> read(const ContentStore& store, int fd);

  bool has(const std::string& name) const;
  // Follows links; an error names the member that is not there.
  Result<const ArchiveMember*> find(const std::string& name) const;
  // The content's digest and size.
  Result<Digest> digest(const std::string& name) const;
  Result<uint64_t> size(const std::string& name) const;
  // A reader of the content, at its start.
  Result<unique_fd> open(const std::string& name) const;
  // The whole content of a small member.
  Result<std::string> read_small(const std::string& name, size_t max_size) const;
  // Puts the member's content into the store (a no-op for blobs).
  Status commit(const std::string& name) const;

 private:
  explicit ArchiveMembers(const ContentStore& store) : store_(&store) {}

  const ContentStore* store_;
  std::map<std::string, ArchiveMember> members_;
};

// "a/./b" -> "a/b"; absolute names and ".." are refused; "" is the archive root.
Result<std::string> clean_member_path(const std::string& name);

}  // namespace berth::image
