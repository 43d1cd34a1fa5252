#include "image/digesting_stream.hpp"

#include <archive.h>

#include "base/syscalls.hpp"

namespace berth::image {

namespace {

constexpr size_t kBlock = 1 << 20;

std::string archive_why(archive* a) {
  const char* why = archive_error_string(a);
  return why != nullptr ? why : "unknown error";
}

}  // namespace

DigestingStream::DigestingStream(int fd) : fd_(fd), source_buf_(new char[kBlock]) {}

DigestingStream::~DigestingStream() {
  if (raw_ != nullptr) archive_read_free(raw_);
}

long DigestingStream::read_source(archive* a, void* self_ptr, const void** buffer) {
  auto* self = static_cast<DigestingStream*>(self_ptr);
  auto n = sys::read_some(self->fd_, self->source_buf_.get(), kBlock);
  if (!n) {
    archive_set_error(a, n.error().errno_value, "%s", n.error().what().c_str());
    return -1;
  }
  if (*n == 0) self->source_done_ = true;
  self->blob_hash_.update(self->source_buf_.get(), *n);
  *buffer = self->source_buf_.get();
  return static_cast<long>(*n);
}

Result<std::unique_ptr<DigestingStream>> DigestingStream::open(int fd) {
  std::unique_ptr<DigestingStream> s(new DigestingStream(fd));
  s->raw_ = archive_read_new();
  if (s->raw_ == nullptr) return fail_msg("archive_read_new: out of memory");
  // The raw format hands over the decompressed stream as one entry, whatever it holds.
  archive_read_support_format_raw(s->raw_);
  archive_read_support_filter_gzip(s->raw_);
  archive_read_support_filter_zstd(s->raw_);
  archive_read_support_filter_xz(s->raw_);
  archive_read_support_filter_bzip2(s->raw_);
  if (archive_read_open(s->raw_, s.get(), nullptr, read_source, nullptr) != ARCHIVE_OK)
    return fail_msg("read layer: " + archive_why(s->raw_));
  archive_entry* entry = nullptr;
  if (archive_read_next_header(s->raw_, &entry) != ARCHIVE_OK)
    return fail_msg("read layer: " + archive_why(s->raw_));
  return s;
}

Result<std::string_view> DigestingStream::read() {
  if (done_) return std::string_view();
  // One block as the decompressor hands it over: a consumer sees an error where it happens.
  const void* block = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  int r;
  do {
    r = archive_read_data_block(raw_, &block, &size, &offset);
  } while (r == ARCHIVE_OK && size == 0);
  if (r == ARCHIVE_EOF) {
    done_ = true;
    return std::string_view();
  }
  if (r < ARCHIVE_WARN) return fail_msg(archive_why(raw_));
  diff_hash_.update(block, size);
  return std::string_view(static_cast<const char*>(block), size);
}

Result<DigestingStream::Digests> DigestingStream::finish() {
  for (;;) {
    auto data = read();
    if (!data) return fail(data.error().wrap("read layer"));
    if (data->empty()) break;
  }
  // Bytes after the compressed stream's end still belong to the blob.
  while (!source_done_) {
    auto n = sys::read_some(fd_, source_buf_.get(), kBlock);
    if (!n) return fail(n.error().wrap("read layer"));
    if (*n == 0) break;
    blob_hash_.update(source_buf_.get(), *n);
  }
  return Digests{blob_hash_.finish(), diff_hash_.finish()};
}

}  // namespace berth::image
