#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.hpp"

struct archive;

namespace berth::image {

// libarchive handles for image archives and layers.
struct ArchiveReadFree {
  void operator()(archive* a) const;
};
struct ArchiveWriteFree {
  void operator()(archive* a) const;
};
using ArchiveReadPtr = std::unique_ptr<archive, ArchiveReadFree>;
using ArchiveWritePtr = std::unique_ptr<archive, ArchiveWriteFree>;

// libarchive's message for its last error.
std::string archive_why(archive* a);

// A tar reader over fd, plain or gzip/zstd/xz/bzip2-compressed.
Result<ArchiveReadPtr> open_tar_reader(int fd, const std::string& what);
// A reader of fd's bytes, decompressed when they are gzip/zstd/xz/bzip2: its single entry is the
// whole stream.
Result<ArchiveReadPtr> open_raw_reader(int fd, const std::string& what);
// Enables the decompression filters image archives and layers use.
void support_filters(archive* a);

// Hands the current entry's data to sink block by block; holes of sparse entries come as zeros.
Status read_entry_data(archive* a, const std::function<Status(std::string_view)>& sink);

}  // namespace berth::image
