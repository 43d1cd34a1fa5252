#include "image/archive_io.hpp"

#include <archive.h>

#include <memory>

namespace berth::image {

namespace {

constexpr size_t kReadBlock = 1 << 20;
constexpr size_t kDataBlock = 256 << 10;

}  // namespace

void ArchiveReadFree::operator()(archive* a) const {
  archive_read_free(a);
}

void ArchiveWriteFree::operator()(archive* a) const {
  archive_write_free(a);
}

std::string archive_why(archive* a) {
  const char* why = archive_error_string(a);
  return why != nullptr ? why : "unknown error";
}

void support_filters(archive* a) {
  // ARCHIVE_WARN means an external program would decompress: acceptable, not an error.
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_bzip2(a);
}

Result<ArchiveReadPtr> open_tar_reader(int fd, const std::string& what) {
  ArchiveReadPtr a(archive_read_new());
  if (!a) return fail_msg(what + ": out of memory");
  archive_read_support_format_tar(a.get());
  support_filters(a.get());
  if (archive_read_open_fd(a.get(), fd, kReadBlock) != ARCHIVE_OK)
    return fail_msg(what + ": " + archive_why(a.get()));
  return a;
}

Result<ArchiveReadPtr> open_raw_reader(int fd, const std::string& what) {
  ArchiveReadPtr a(archive_read_new());
  if (!a) return fail_msg(what + ": out of memory");
  archive_read_support_format_raw(a.get());
  support_filters(a.get());
  if (archive_read_open_fd(a.get(), fd, kReadBlock) != ARCHIVE_OK)
    return fail_msg(what + ": " + archive_why(a.get()));
  return a;
}

Status read_entry_data(archive* a, const std::function<Status(std::string_view)>& sink) {
  auto buf = std::make_unique_for_overwrite<char[]>(kDataBlock);
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf.get(), kDataBlock);
    if (n == 0) return {};
    if (n < 0) return fail_msg(archive_why(a));
    BERTH_CHECK(sink(std::string_view(buf.get(), static_cast<size_t>(n))));
  }
}

}  // namespace berth::image
