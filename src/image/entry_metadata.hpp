#pragma once

#include <sys/types.h>
#include <time.h>

#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"

struct archive_entry;

namespace berth::image {

// What a tar entry says about its inode besides its content.
struct EntryMetadata {
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;  // permission bits with setuid, setgid and sticky
  struct timespec atime = {};
  struct timespec mtime = {};
  std::vector<std::pair<std::string, std::string>> xattrs;  // only those a layer may set
};
EntryMetadata read_metadata(archive_entry* entry);

// The entry to apply metadata to: an open fd when there is one (regular files, directories),
// else name in dir_fd, never followed.
struct EntryRef {
  int fd = -1;
  int dir_fd = -1;
  std::string name;
};

// In the order the kernel needs: chown clears setuid, setgid and security.capability, so
// ownership comes first, then xattrs, then mode, then times.
Status apply_ownership(const EntryRef& ref, const EntryMetadata& meta);
Status apply_xattrs(const EntryRef& ref, const EntryMetadata& meta);
Status apply_mode(const EntryRef& ref, const EntryMetadata& meta);
Status apply_times(const EntryRef& ref, const EntryMetadata& meta);

}  // namespace berth::image
