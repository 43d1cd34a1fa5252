#include "image/unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>

#include <memory>

#include "base/syscalls.hpp"
#include "image/digesting_stream.hpp"
#include "image/layer_writer.hpp"

namespace berth::image {

namespace {

constexpr size_t kReadBlock = 1 << 20;

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

std::string archive_why(archive* a) {
  const char* why = archive_error_string(a);
  return why != nullptr ? why : "unknown error";
}

Result<ArchivePtr> open_reader(int tar_fd) {
  ArchivePtr a(archive_read_new());
  if (!a) return fail_msg("archive_read_new: out of memory");
  archive_read_support_format_tar(a.get());
  // ARCHIVE_WARN means an external program would decompress: acceptable, not an error.
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_bzip2(a.get());
  if (archive_read_open_fd(a.get(), tar_fd, kReadBlock) != ARCHIVE_OK)
    return fail_msg("read layer: " + archive_why(a.get()));
  return a;
}

la_ssize_t read_stream(archive* a, void* stream, const void** buffer) {
  auto data = static_cast<DigestingStream*>(stream)->read();
  if (!data) {
    archive_set_error(a, data.error().errno_value, "%s", data.error().what().c_str());
    return -1;
  }
  *buffer = data->data();
  return static_cast<la_ssize_t>(data->size());
}

// A tar reader over a stream that is decompressed already.
Result<ArchivePtr> open_tar_reader(DigestingStream& stream) {
  ArchivePtr a(archive_read_new());
  if (!a) return fail_msg("archive_read_new: out of memory");
  archive_read_support_format_tar(a.get());
  if (archive_read_open(a.get(), &stream, nullptr, read_stream, nullptr) != ARCHIVE_OK)
    return fail_msg("read layer: " + archive_why(a.get()));
  return a;
}

}  // namespace

Result<UnpackStats> unpack_layer(int tar_fd, const std::string& target_dir,
                                 const UnpackOptions& opts) {
  auto root = BERTH_TRY(sys::open(target_dir, O_PATH | O_DIRECTORY));
  std::unique_ptr<DigestingStream> stream;
  ArchivePtr reader;
  if (opts.digests) {
    stream = BERTH_TRY(DigestingStream::open(tar_fd));
    reader = BERTH_TRY(open_tar_reader(*stream));
  } else {
    reader = BERTH_TRY(open_reader(tar_fd));
  }
  LayerWriter writer(root.get(), opts);
  UnpackStats stats;
  std::string last;
  for (;;) {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(reader.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      if (last.empty()) return fail_msg("read layer: " + archive_why(reader.get()));
      return fail_msg("truncated layer after entry " + quote(last) + ": " +
                      archive_why(reader.get()));
    }
    BERTH_CHECK(writer.write(reader.get(), entry, stats.bytes));
    const char* name = archive_entry_pathname(entry);
    last = name != nullptr ? name : "";
    ++stats.entries;
  }
  BERTH_CHECK(writer.finish());
  if (stream) {
    auto digests = BERTH_TRY(stream->finish());
    stats.blob_digest = digests.blob;
    stats.diff_id = digests.diff_id;
  }
  return stats;
}

}  // namespace berth::image
