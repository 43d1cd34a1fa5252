#include "image/uncompressed_layer.hpp"

#include <archive.h>
#include <archive_entry.h>

#include "image/archive_io.hpp"

namespace berth::image {

namespace {

struct LayerReader {
  unique_fd fd;
  ArchiveReadPtr reader;
  bool compressed = false;
};

Result<LayerReader> open_layer(const ContentStore& store, const Digest& blob) {
  const std::string what = "read layer " + blob.str();
  LayerReader l;
  l.fd = BERTH_TRY(store.open_blob(blob));
  l.reader = BERTH_TRY(open_raw_reader(l.fd.get(), what));
  archive_entry* entry = nullptr;
  if (archive_read_next_header(l.reader.get(), &entry) < ARCHIVE_WARN)
    return fail_msg(what + ": " + archive_why(l.reader.get()));
  l.compressed = archive_filter_code(l.reader.get(), 0) != ARCHIVE_FILTER_NONE;
  return l;
}

}  // namespace

Result<uint64_t> uncompressed_layer_size(const ContentStore& store, const Digest& blob,
                                         const Digest& diff_id) {
  auto layer = BERTH_TRY(open_layer(store, blob));
  const std::string what = "layer " + blob.str();
  if (!layer.compressed) {
    if (blob != diff_id)
      return fail_msg(what + ": uncompressed, but its diff id is " + diff_id.str());
    return store.size(blob);
  }
  Sha256 hash;
  uint64_t size = 0;
  auto status = read_entry_data(layer.reader.get(), [&](std::string_view data) -> Status {
    hash.update(data.data(), data.size());
    size += data.size();
    return {};
  });
  if (!status) return fail(status.error().wrap("decompress " + what));
  Digest actual = hash.finish();
  if (actual != diff_id)
    return fail_msg(what + ": decompresses to " + actual.str() + ", not its diff id " +
                    diff_id.str());
  return size;
}

Status read_uncompressed_layer(const ContentStore& store, const Digest& blob,
                               const std::function<Status(std::string_view)>& sink) {
  auto layer = BERTH_TRY(open_layer(store, blob));
  auto status = read_entry_data(layer.reader.get(), sink);
  if (!status) return fail(status.error().wrap("read layer " + blob.str()));
  return {};
}

}  // namespace berth::image
