#pragma once

// Tars built in memory with libarchive, for the archive and import tests.

#include <archive.h>
#include <archive_entry.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"

namespace tar_fixtures {

enum class Filter { plain, gzip, zstd, xz };

struct Member {
  std::string name;
  std::string data;
  unsigned type = AE_IFREG;
  std::string symlink;
};

inline Member file(std::string name, std::string data) {
  return {std::move(name), std::move(data), AE_IFREG, {}};
}
inline Member directory(std::string name) {
  return {std::move(name), {}, AE_IFDIR, {}};
}
inline Member symlink(std::string name, std::string target) {
  return {std::move(name), {}, AE_IFLNK, std::move(target)};
}

inline la_ssize_t append_to_string(archive*, void* out, const void* data, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

inline bool filter_available(Filter filter) {
  archive* a = archive_write_new();
  bool ok = true;
  if (filter == Filter::zstd) ok = archive_write_add_filter_zstd(a) == ARCHIVE_OK;
  if (filter == Filter::xz) ok = archive_write_add_filter_xz(a) == ARCHIVE_OK;
  archive_write_free(a);
  return ok;
}

inline std::string tar(const std::vector<Member>& members, Filter filter = Filter::plain) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  if (filter == Filter::gzip) archive_write_add_filter_gzip(a);
  if (filter == Filter::zstd) archive_write_add_filter_zstd(a);
  if (filter == Filter::xz) archive_write_add_filter_xz(a);
  EXPECT_EQ(archive_write_open(a, &out, nullptr, append_to_string, nullptr), ARCHIVE_OK);
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_filetype(e, m.type);
    archive_entry_set_perm(e, m.type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_mtime(e, 1700000000, 0);
    if (m.type == AE_IFREG) archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
    if (m.type == AE_IFLNK) archive_entry_set_symlink(e, m.symlink.c_str());
    EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK) << m.name << ": " << archive_error_string(a);
    if (!m.data.empty()) {
      EXPECT_EQ(archive_write_data(a, m.data.data(), m.data.size()),
                static_cast<la_ssize_t>(m.data.size()));
    }
    archive_entry_free(e);
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

// data in a memfd, positioned at its start.
inline berth::unique_fd memfd_with(const std::string& data) {
  berth::unique_fd fd(::memfd_create("archive", MFD_CLOEXEC));
  EXPECT_TRUE(fd.valid());
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

inline std::string read_fd_from_start(int fd) {
  ::lseek(fd, 0, SEEK_SET);
  auto data = berth::fs::read_fd(fd);
  EXPECT_TRUE(data) << data.error().what();
  return data ? *data : std::string();
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/berth-archive-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)berth::fs::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string at(const std::string& rel) const { return path + "/" + rel; }
};

}  // namespace tar_fixtures
