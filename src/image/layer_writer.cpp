#include "image/layer_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/root_path.hpp"
#include "base/syscalls.hpp"
#include "image/layer_fs.hpp"
#include "image/layer_path.hpp"
#include "image/whiteouts.hpp"

namespace berth::image {

namespace {

constexpr uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

Status pwrite_all(int fd, const void* data, size_t len, off_t offset, const std::string& name) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::pwrite(fd, p, len, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_sys("write " + quote(name));
    }
    p += n;
    len -= static_cast<size_t>(n);
    offset += n;
  }
  return {};
}

}  // namespace

Result<int> LayerWriter::parent_dir(const std::string& path) {
  if (path.empty()) return root_fd_;
  if (cached_parent_ && cached_parent_path_ == path) return cached_parent_.get();
  auto fd = sys::openat2(root_fd_, path, O_PATH | O_DIRECTORY, kInRoot);
  if (!fd && fd.error().errno_value == ENOENT) fd = root_path::mkdir_all(root_fd_, path, 0755);
  if (!fd) return fail(fd.error());
  cached_parent_ = std::move(*fd);
  cached_parent_path_ = path;
  return cached_parent_.get();
}

Status LayerWriter::create(int dir_fd, const std::string& name, const std::string& what,
                           const std::function<int()>& make) {
  bool replaced = false;
  BERTH_CHECK(layer_fs::create_replacing(dir_fd, name, what, make, &replaced));
  // A removed entry may have been a directory on the cached parent's path.
  if (replaced) forget_parent();
  return {};
}

Status LayerWriter::write(archive* reader, archive_entry* entry, uint64_t& bytes) {
  const char* raw = archive_entry_pathname(entry);
  if (raw == nullptr) raw = archive_entry_pathname_utf8(entry);
  if (raw == nullptr) return fail_msg("layer entry with an unreadable name");
  const std::string name = raw;
  auto status = write_entry(reader, entry, name, bytes);
  // The truncation error names the entry already.
  if (!status && !status.error().message.starts_with("truncated layer"))
    return fail(status.error().wrap(entry_context(name)));
  return status;
}

Status LayerWriter::write_entry(archive* reader, archive_entry* entry, const std::string& name,
                                uint64_t& bytes) {
  auto path = BERTH_TRY(clean_layer_path(name));
  auto type = archive_entry_filetype(entry);
  const char* link = archive_entry_hardlink(entry);
  if (path.empty()) {
    if (type != AE_IFDIR || link != nullptr) return fail_msg("replaces the layer root");
    auto meta = read_metadata(entry);
    EntryRef ref{-1, root_fd_, ""};
    if (opts_.keep_ownership) BERTH_CHECK(apply_ownership(ref, meta));
    BERTH_CHECK(apply_xattrs(ref, meta));
    defer_dir("", meta);
    return {};
  }
  auto [parent, base] = split_layer_path(path);
  int dir_fd = BERTH_TRY(parent_dir(parent));
  auto wh = parse_whiteout(base);
  switch (wh.kind) {
    case WhiteoutName::opaque:
      return mark_opaque(dir_fd, opts_.whiteouts);
    case WhiteoutName::aufs_metadata:
      return {};
    case WhiteoutName::whiteout:
      if (wh.hidden.empty() || wh.hidden == "." || wh.hidden == "..")
        return fail_msg("whiteout of no name");
      {
        bool replaced = false;
        BERTH_CHECK(write_whiteout(dir_fd, wh.hidden, opts_.whiteouts, &replaced));
        if (replaced) forget_parent();
      }
      return {};
    case WhiteoutName::none:
      break;
  }
  if (link != nullptr) return write_hardlink(link, dir_fd, base, path);
  switch (type) {
    case AE_IFREG:
      return write_regular(reader, entry, dir_fd, base, bytes);
    case AE_IFDIR:
      return write_directory(dir_fd, base, path, read_metadata(entry));
    case AE_IFLNK:
      return write_symlink(entry, dir_fd, base);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      return write_node(entry, dir_fd, base);
    default:
      return fail_msg("unsupported file type " + std::to_string(type));
  }
}

Status LayerWriter::write_regular(archive* reader, archive_entry* entry, int dir_fd,
                                  const std::string& name, uint64_t& bytes) {
  int raw = -1;
  BERTH_CHECK(create(dir_fd, name, "create", [&] {
    raw =
        ::openat(dir_fd, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    return raw;
  }));
  unique_fd fd(raw);
  const void* block = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  la_int64_t end = 0;
  for (;;) {
    int r = archive_read_data_block(reader, &block, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      const char* why = archive_error_string(reader);
      return fail_msg("truncated layer at entry " + quote(archive_entry_pathname(entry)) + ": " +
                      (why != nullptr ? why : "read failed"));
    }
    BERTH_CHECK(pwrite_all(fd.get(), block, size, offset, name));
    bytes += size;
    end = offset + static_cast<la_int64_t>(size);
  }
  // A sparse file's last hole has no block.
  if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > end &&
      ::ftruncate(fd.get(), archive_entry_size(entry)) < 0)
    return fail_sys("truncate " + quote(name));
  auto meta = read_metadata(entry);
  EntryRef ref{fd.get(), dir_fd, name};
  if (opts_.keep_ownership) BERTH_CHECK(apply_ownership(ref, meta));
  BERTH_CHECK(apply_xattrs(ref, meta));
  BERTH_CHECK(apply_mode(ref, meta));
  return apply_times(ref, meta);
}

Status LayerWriter::write_directory(int dir_fd, const std::string& name, const std::string& path,
                                    const EntryMetadata& meta) {
  // 0700 until finish(): the tar's mode may not let us write the directory's content.
  if (::mkdirat(dir_fd, name.c_str(), 0700) < 0) {
    if (errno != EEXIST) return fail_sys("mkdir " + quote(name));
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
      return fail_sys("stat " + quote(name));
    if (!S_ISDIR(st.st_mode))
      BERTH_CHECK(
          create(dir_fd, name, "mkdir", [&] { return ::mkdirat(dir_fd, name.c_str(), 0700); }));
  }
  auto fd = BERTH_TRY(sys::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  EntryRef ref{fd.get(), dir_fd, name};
  if (opts_.keep_ownership) BERTH_CHECK(apply_ownership(ref, meta));
  BERTH_CHECK(apply_xattrs(ref, meta));
  defer_dir(path, meta);
  return {};
}

Status LayerWriter::write_symlink(archive_entry* entry, int dir_fd, const std::string& name) {
  const char* target = archive_entry_symlink(entry);
  if (target == nullptr) target = archive_entry_symlink_utf8(entry);
  if (target == nullptr) return fail_msg("symlink without a target");
  BERTH_CHECK(
      create(dir_fd, name, "symlink", [&] { return ::symlinkat(target, dir_fd, name.c_str()); }));
  auto meta = read_metadata(entry);
  EntryRef ref{-1, dir_fd, name};
  if (opts_.keep_ownership) BERTH_CHECK(apply_ownership(ref, meta));
  BERTH_CHECK(apply_xattrs(ref, meta));
  return apply_times(ref, meta);
}

Status LayerWriter::write_node(archive_entry* entry, int dir_fd, const std::string& name) {
  mode_t type = archive_entry_filetype(entry);
  dev_t dev = type == AE_IFIFO
                  ? 0
                  : makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
  BERTH_CHECK(create(dir_fd, name, "mknod",
                     [&] { return ::mknodat(dir_fd, name.c_str(), type | 0600, dev); }));
  auto meta = read_metadata(entry);
  EntryRef ref{-1, dir_fd, name};
  if (opts_.keep_ownership) BERTH_CHECK(apply_ownership(ref, meta));
  BERTH_CHECK(apply_xattrs(ref, meta));
  BERTH_CHECK(apply_mode(ref, meta));
  return apply_times(ref, meta);
}

Status LayerWriter::write_hardlink(const std::string& target, int dir_fd, const std::string& name,
                                   const std::string& path) {
  auto clean = clean_layer_path(target);
  if (!clean) return fail_msg("hard link to " + quote(target) + " escapes the target");
  if (clean->empty()) return fail_msg("hard link to the layer root");
  if (*clean == path) return {};
  // O_NOFOLLOW: a hard link to a symlink links the symlink, as tar does.
  auto source = sys::openat2(root_fd_, *clean, O_PATH | O_NOFOLLOW, kInRoot);
  if (!source) return fail(source.error().wrap("hard link to " + quote(target)));
  int src = source->get();
  BERTH_CHECK(create(dir_fd, name, "link", [&] {
    int r = ::linkat(src, "", dir_fd, name.c_str(), AT_EMPTY_PATH);
    // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH before Linux 6.10; /proc/self/fd/N does not.
    if (r < 0 && (errno == ENOENT || errno == EPERM))
      r = ::linkat(AT_FDCWD, sys::fd_path(src).c_str(), dir_fd, name.c_str(), AT_SYMLINK_FOLLOW);
    return r;
  }));
  return {};
}

void LayerWriter::defer_dir(const std::string& path, const EntryMetadata& meta) {
  auto [it, inserted] = dir_index_.try_emplace(path, dirs_.size());
  if (inserted)
    dirs_.push_back({path, meta});
  else
    dirs_[it->second].meta = meta;
}

Status LayerWriter::finish() {
  forget_parent();
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    auto fd = sys::openat2(root_fd_, it->path.empty() ? "." : it->path,
                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW, kInRoot);
    if (!fd) {
      int e = fd.error().errno_value;
      // A later entry replaced the directory by something else.
      if (e == ENOENT || e == ENOTDIR || e == ELOOP) continue;
      return fail(fd.error().wrap(entry_context(it->path)));
    }
    EntryRef ref{fd->get(), -1, it->path};
    auto status = apply_mode(ref, it->meta);
    if (status) status = apply_times(ref, it->meta);
    if (!status) return fail(status.error().wrap(entry_context(it->path)));
  }
  return {};
}

}  // namespace berth::image
