#include "image/rootfs_layer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <vector>

#include "image/archive_io.hpp"
#include "image/media_types.hpp"
#include "image/spool.hpp"

namespace berth::image {

namespace {

constexpr size_t kBlock = 1 << 20;
constexpr size_t kMemoryLimit = 1 << 20;

// The tarball as read from its fd; while `tee` is on, every byte also goes to `raw`.
struct Source {
  explicit Source(int f) : fd(f) {}
  int fd;
  std::vector<char> buf = std::vector<char>(kBlock);
  std::optional<Spool> raw;
  bool tee = true;
  std::optional<Error> error;
};

la_ssize_t read_source(archive* a, void* data, const void** out) {
  auto* s = static_cast<Source*>(data);
  ssize_t n;
  do {
    n = ::read(s->fd, s->buf.data(), s->buf.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    archive_set_error(a, errno, "read: %s", strerror(errno));
    return -1;
  }
  if (s->tee && n > 0) {
    if (auto st = s->raw->write(std::string_view(s->buf.data(), static_cast<size_t>(n))); !st) {
      s->error = st.error();
      archive_set_error(a, EIO, "%s", st.error().what().c_str());
      return -1;
    }
  }
  *out = s->buf.data();
  return n;
}

// The decompressed stream, pulled out of the first reader by the tar reader: hashed for the diff
// id, and spooled when the blob is to be the plain tar.
struct Plain {
  explicit Plain(archive* d) : decompressor(d) {}
  archive* decompressor;
  std::vector<char> buf = std::vector<char>(kBlock);
  Sha256 hash;
  std::optional<Spool> spool;
  std::optional<Error> error;
};

la_ssize_t read_plain(archive* a, void* data, const void** out) {
  auto* p = static_cast<Plain*>(data);
  la_ssize_t n = archive_read_data(p->decompressor, p->buf.data(), p->buf.size());
  if (n < 0) {
    archive_set_error(a, EIO, "%s", archive_why(p->decompressor).c_str());
    return -1;
  }
  p->hash.update(p->buf.data(), static_cast<size_t>(n));
  if (p->spool) {
    if (auto st = p->spool->write(std::string_view(p->buf.data(), static_cast<size_t>(n))); !st) {
      p->error = st.error();
      archive_set_error(a, EIO, "%s", st.error().what().c_str());
      return -1;
    }
  }
  *out = p->buf.data();
  return n;
}

Status check_tar(archive* plain_reader) {
  std::string last;
  for (;;) {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(plain_reader, &entry);
    if (r == ARCHIVE_EOF) return {};
    if (r >= ARCHIVE_WARN) {
      const char* name = archive_entry_pathname(entry);
      last = name != nullptr ? name : "";
      r = archive_read_data_skip(plain_reader);
    }
    if (r < ARCHIVE_WARN) {
      if (last.empty()) return fail_msg("not a tar archive: " + archive_why(plain_reader));
      return fail_msg("after entry " + quote(last) + ": " + archive_why(plain_reader));
    }
  }
}

}  // namespace

Result<StoredLayer> store_tarball_layer(const ContentStore& store, int fd) {
  Source source(fd);
  source.raw.emplace(store, kMemoryLimit);
  ArchiveReadPtr decompressor(archive_read_new());
  if (!decompressor) return fail_msg("read tarball: out of memory");
  archive_read_support_format_raw(decompressor.get());
  support_filters(decompressor.get());
  archive_entry* entry = nullptr;
  if (archive_read_open(decompressor.get(), &source, nullptr, read_source, nullptr) != ARCHIVE_OK ||
      archive_read_next_header(decompressor.get(), &entry) < ARCHIVE_WARN) {
    if (source.error) return fail(*source.error);
    return fail_msg("read tarball: " + archive_why(decompressor.get()));
  }

  StoredLayer layer;
  Plain plain(decompressor.get());
  switch (archive_filter_code(decompressor.get(), 0)) {
    case ARCHIVE_FILTER_NONE:
      layer.media_type = media_type::kOciLayer;
      break;
    case ARCHIVE_FILTER_GZIP:
      layer.media_type = media_type::kOciLayerGzip;
      break;
    case ARCHIVE_FILTER_ZSTD:
      layer.media_type = media_type::kOciLayerZstd;
      break;
    default:
      // No OCI media type for this compression: the layer is stored as the plain tar.
      layer.media_type = media_type::kOciLayer;
      source.tee = false;
      source.raw.reset();
      plain.spool.emplace(store, kMemoryLimit);
  }

  ArchiveReadPtr tar(archive_read_new());
  if (!tar) return fail_msg("read tarball: out of memory");
  archive_read_support_format_tar(tar.get());
  if (archive_read_open(tar.get(), &plain, nullptr, read_plain, nullptr) != ARCHIVE_OK) {
    if (plain.error) return fail(*plain.error);
    return fail_msg("read tarball: not a tar archive: " + archive_why(tar.get()));
  }
  auto checked = check_tar(tar.get());
  if (!checked) {
    if (plain.error) return fail(*plain.error);
    if (source.error) return fail(*source.error);
    return fail(checked.error().wrap("read tarball"));
  }
  // What follows the end-of-archive blocks is part of the tar too.
  const void* ignored = nullptr;
  for (;;) {
    la_ssize_t n = read_plain(tar.get(), &plain, &ignored);
    if (n == 0) break;
    if (n < 0) {
      if (plain.error) return fail(*plain.error);
      if (source.error) return fail(*source.error);
      return fail_msg("read tarball: " + archive_why(decompressor.get()));
    }
  }

  layer.diff_id = plain.hash.finish();
  Spool& blob = plain.spool ? *plain.spool : *source.raw;
  layer.digest = blob.finish();
  layer.size = blob.size();
  BERTH_CHECK(blob.commit());
  return layer;
}

}  // namespace berth::image
