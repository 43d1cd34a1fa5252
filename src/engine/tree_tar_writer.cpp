#include "engine/tree_tar_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "base/fs.hpp"
#include "base/syscalls.hpp"

namespace berth::engine {

namespace {

constexpr size_t kBlock = 256 << 10;

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

// One component, never a symlink, never above parent_fd.
Result<unique_fd> open_child(int parent_fd, const std::string& name, int flags) {
  return sys::openat2(parent_fd, name, static_cast<uint64_t>(flags | O_NOFOLLOW),
                      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

// overlay's own attributes describe the layer, not the file; other security.* belong to the
// host's LSM.
bool archived_xattr(const std::string& key) {
  if (key.starts_with("user.")) return !key.starts_with("user.overlay.");
  if (key.starts_with("trusted.")) return !key.starts_with("trusted.overlay.");
  return key == "security.capability";
}

void add_xattrs(archive_entry* e, int fd) {
  std::vector<char> names(4096);
  ssize_t n = ::flistxattr(fd, names.data(), names.size());
  if (n < 0 && errno == ERANGE) {
    n = ::flistxattr(fd, nullptr, 0);
    if (n <= 0) return;
    names.resize(static_cast<size_t>(n));
    n = ::flistxattr(fd, names.data(), names.size());
  }
  if (n <= 0) return;
  for (size_t at = 0; at < static_cast<size_t>(n);) {
    std::string key(names.data() + at);
    at += key.size() + 1;
    if (!archived_xattr(key)) continue;
    ssize_t size = ::fgetxattr(fd, key.c_str(), nullptr, 0);
    if (size < 0) continue;
    std::string value(static_cast<size_t>(size), '\0');
    size = ::fgetxattr(fd, key.c_str(), value.data(), value.size());
    if (size < 0) continue;
    value.resize(static_cast<size_t>(size));
    archive_entry_xattr_add_entry(e, key.c_str(), value.data(), value.size());
  }
}

std::string child_name(const std::string& tar_name, const std::string& child) {
  return tar_name.empty() ? child : tar_name + "/" + child;
}

}  // namespace

Result<TreeTarWriter> TreeTarWriter::open(int out_fd) {
  image::ArchiveWritePtr a(archive_write_new());
  if (!a) return fail_msg("write archive: out of memory");
  if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a.get(), 1) != ARCHIVE_OK ||
      archive_write_open_fd(a.get(), out_fd) != ARCHIVE_OK)
    return fail_msg("write archive: " + image::archive_why(a.get()));
  return TreeTarWriter(std::move(a));
}

Status TreeTarWriter::add(int parent_fd, const std::string& name, const std::string& tar_name,
                          const TreeWalk& walk) {
  struct stat st;
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
    return fail_sys("stat " + quote(tar_name));
  // Sockets have no tar form; docker leaves them out too.
  if (S_ISSOCK(st.st_mode)) return {};

  unique_fd fd;
  std::string symlink;
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
    fd = BERTH_TRY(open_child(parent_fd, name, O_RDONLY | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0)));
    if (::fstat(fd.get(), &st) < 0) return fail_sys("stat " + quote(tar_name));
  } else if (S_ISLNK(st.st_mode)) {
    std::vector<char> buf(static_cast<size_t>(st.st_size) + 2);
    ssize_t n = ::readlinkat(parent_fd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return fail_sys("readlink " + quote(tar_name));
    symlink.assign(buf.data(), static_cast<size_t>(n));
  }

  EntryPtr e(archive_entry_new());
  if (!e) return fail_msg("write archive: out of memory");
  if (walk.owner) std::tie(st.st_uid, st.st_gid) = walk.owner(st.st_uid, st.st_gid);
  archive_entry_copy_stat(e.get(), &st);
  archive_entry_unset_atime(e.get());
  archive_entry_unset_ctime(e.get());
  archive_entry_unset_birthtime(e.get());
  const bool dir = S_ISDIR(st.st_mode);
  archive_entry_set_pathname(e.get(), (dir ? tar_name + "/" : tar_name).c_str());
  if (!S_ISREG(st.st_mode)) archive_entry_set_size(e.get(), 0);
  if (S_ISLNK(st.st_mode)) archive_entry_set_symlink(e.get(), symlink.c_str());
  bool data = S_ISREG(st.st_mode) && st.st_size > 0;
  if (!dir && st.st_nlink > 1) {
    auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, tar_name);
    if (!first) {
      archive_entry_set_hardlink(e.get(), it->second.c_str());
      archive_entry_set_size(e.get(), 0);
      data = false;
    }
  }
  if (fd) add_xattrs(e.get(), fd.get());
  if (archive_write_header(a_.get(), e.get()) < ARCHIVE_WARN)
    return fail_msg("write archive member " + quote(tar_name) + ": " +
                    image::archive_why(a_.get()));
  if (data) BERTH_CHECK(write_data(fd.get(), tar_name, st.st_size));
  if (archive_write_finish_entry(a_.get()) < ARCHIVE_WARN)
    return fail_msg("write archive member " + quote(tar_name) + ": " +
                    image::archive_why(a_.get()));

  if (!dir || walk.skip_contents.contains(tar_name)) return {};
  if (walk.one_file_system && st.st_dev != walk.top_dev) return {};
  return write_children(fd.get(), tar_name, walk);
}

Status TreeTarWriter::add_contents(int dir_fd, const std::string& prefix, const TreeWalk& walk) {
  if (!prefix.empty()) return add(dir_fd, ".", prefix, walk);
  return write_children(dir_fd, prefix, walk);
}

Status TreeTarWriter::write_children(int dir_fd, const std::string& tar_name,
                                     const TreeWalk& walk) {
  auto names = BERTH_TRY(fs::names_at(dir_fd, tar_name.empty() ? "." : tar_name));
  for (const auto& name : names) BERTH_CHECK(add(dir_fd, name, child_name(tar_name, name), walk));
  return {};
}

Status TreeTarWriter::write_data(int fd, const std::string& tar_name, int64_t size) {
  // A file that shrinks while it is read is padded with zeros to the size its header announced,
  // one that grows is cut there, so the archive stays well-formed.
  auto buf = std::make_unique_for_overwrite<char[]>(kBlock);
  int64_t left = size;
  while (left > 0) {
    size_t want = static_cast<size_t>(std::min<int64_t>(left, kBlock));
    ssize_t n = ::read(fd, buf.get(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_sys("read " + quote(tar_name));
    }
    if (n == 0) {
      std::fill_n(buf.get(), want, '\0');
      n = static_cast<ssize_t>(want);
    }
    if (archive_write_data(a_.get(), buf.get(), static_cast<size_t>(n)) != n)
      return fail_msg("write archive member " + quote(tar_name) + ": " +
                      image::archive_why(a_.get()));
    left -= n;
  }
  return {};
}

Status TreeTarWriter::close() {
  if (archive_write_close(a_.get()) != ARCHIVE_OK)
    return fail_msg("write archive: " + image::archive_why(a_.get()));
  return {};
}

}  // namespace berth::engine
