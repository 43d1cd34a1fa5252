#include "image/tar_output.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace berth::image {

namespace {

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

}  // namespace

Result<TarOutput> TarOutput::open(int fd) {
  ArchiveWritePtr a(archive_write_new());
  if (!a) return fail_msg("write archive: out of memory");
  if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
      archive_write_open_fd(a.get(), fd) != ARCHIVE_OK)
    return fail_msg("write archive: " + archive_why(a.get()));
  return TarOutput(std::move(a));
}

Status TarOutput::header(const std::string& name, unsigned type, unsigned perm, uint64_t size) {
  std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
  if (!e) return fail_msg("write archive: out of memory");
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), type);
  archive_entry_set_perm(e.get(), perm);
  archive_entry_set_uid(e.get(), 0);
  archive_entry_set_gid(e.get(), 0);
  archive_entry_set_mtime(e.get(), 0, 0);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
  if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK)
    return fail_msg("write archive member " + quote(name) + ": " + archive_why(a_.get()));
  return {};
}

Status TarOutput::add_directory(const std::string& name) {
  return header(name, AE_IFDIR, 0755, 0);
}

Status TarOutput::add_file(const std::string& name, std::string_view data) {
  return add_stream(name, data.size(), [&](const Sink& sink) { return sink(data); });
}

Status TarOutput::add_stream(const std::string& name, uint64_t size,
                             const std::function<Status(const Sink&)>& fill) {
  BERTH_CHECK(header(name, AE_IFREG, 0644, size));
  const std::string what = "write archive member " + quote(name);
  uint64_t written = 0;
  auto status = fill([&](std::string_view data) -> Status {
    if (data.size() > size - written)
      return fail_msg(what + ": more than the " + std::to_string(size) + " bytes announced");
    while (!data.empty()) {
      la_ssize_t n = archive_write_data(a_.get(), data.data(), data.size());
      if (n <= 0) return fail_msg(what + ": " + archive_why(a_.get()));
      data.remove_prefix(static_cast<size_t>(n));
      written += static_cast<uint64_t>(n);
    }
    return {};
  });
  if (!status) return status;
  if (written != size)
    return fail_msg(what + ": " + std::to_string(written) + " bytes, not the " +
                    std::to_string(size) + " announced");
  if (archive_write_finish_entry(a_.get()) != ARCHIVE_OK)
    return fail_msg(what + ": " + archive_why(a_.get()));
  return {};
}

Status TarOutput::close() {
  if (archive_write_close(a_.get()) != ARCHIVE_OK)
    return fail_msg("write archive: " + archive_why(a_.get()));
  return {};
}

}  // namespace berth::image
