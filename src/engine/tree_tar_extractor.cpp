#include "engine/tree_tar_extractor.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/strings.hpp"
#include "base/syscalls.hpp"
#include "image/archive_io.hpp"
#include "image/entry_metadata.hpp"
#include "image/layer_fs.hpp"

namespace berth::engine {

namespace {

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;

std::string join_parts(const std::vector<std::string>& parts, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += "/";
    out += parts[i];
  }
  return out;
}

// The entry's path below the destination, component by component, after docker cp's renaming of
// the first component. "" components and "." are dropped; absolute names and ".." are refused.
Result<std::vector<std::string>> entry_parts(const std::string& raw, const ExtractOptions& opts) {
  if (raw.starts_with('/')) return fail_msg("absolute name refused");
  std::vector<std::string> parts;
  for (auto& part : split(raw, '/'))
    if (!part.empty()) parts.push_back(std::move(part));
  if (!opts.rebase_from.empty() && !parts.empty() && parts.front() == opts.rebase_from)
    parts.front() = opts.rebase_to;
  std::vector<std::string> clean;
  for (auto& part : parts) {
    if (part == "..") return fail_msg("name with \"..\" refused");
    if (part != ".") clean.push_back(std::move(part));
  }
  return clean;
}

// openat2's answers for a path that would leave the destination, said in words.
Error beneath_error(const Error& e, const std::string& path) {
  if (e.errno_value == EXDEV)
    return sys_error(EXDEV, quote(path) + " leads out of the destination through a symlink");
  return e;
}

// fchmodat follows a final symlink, and a running container could swap the node for one between
// mknod and chmod: the node is pinned by an O_PATH fd and changed through its /proc/self/fd link,
// which reaches that inode and nothing else.
Status chmod_node(int dir_fd, const std::string& name, const std::string& path, mode_t mode) {
  auto fd = BERTH_TRY(sys::openat(dir_fd, name, O_PATH | O_NOFOLLOW));
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return fail_sys("stat " + quote(path));
  if (S_ISLNK(st.st_mode)) return fail_msg(quote(path) + " was replaced by a symlink");
  if (::chmod(sys::fd_path(fd.get()).c_str(), mode) < 0) return fail_sys("chmod " + quote(path));
  return {};
}

class Extractor {
 public:
  Extractor(int base_fd, const ExtractOptions& opts) : base_fd_(base_fd), opts_(opts) {}

  Status write(archive* reader, archive_entry* entry);
  Status finish();

 private:
  struct DeferredDir {
    std::string path;
    image::EntryMetadata meta;
  };

  Result<int> parent_dir(const std::vector<std::string>& parts);
  Status make_dirs(const std::vector<std::string>& parts, size_t count);
  Status clear_way(int dir_fd, const std::string& name, const std::string& path, bool entry_dir,
                   bool& keep_dir);
  Status own(const image::EntryRef& ref, const image::EntryMetadata& meta);
  Status set_xattrs(const image::EntryRef& ref, const image::EntryMetadata& meta);
  Status write_regular(archive* reader, int dir_fd, const std::string& name, int64_t size_hint,
                       const image::EntryMetadata& meta);
  Status write_hardlink(const std::string& target, int dir_fd, const std::string& name,
                        const std::string& path);

  int base_fd_;
  const ExtractOptions& opts_;
  std::string cached_path_;
  unique_fd cached_;
  std::vector<DeferredDir> dirs_;
  std::unordered_map<std::string, size_t> dir_index_;
};

Status Extractor::make_dirs(const std::vector<std::string>& parts, size_t count) {
  // Each step is resolved from the destination, so a symlink met on the way is judged as a whole.
  for (size_t i = 1; i <= count; ++i) {
    std::string walked = join_parts(parts, i);
    auto fd = sys::openat2(base_fd_, walked, O_PATH | O_DIRECTORY, kBeneath);
    if (fd) continue;
    if (fd.error().errno_value != ENOENT) return fail(beneath_error(fd.error(), walked));
    std::string above = join_parts(parts, i - 1);
    auto parent = above.empty() ? sys::openat(base_fd_, ".", O_PATH | O_DIRECTORY)
                                : sys::openat2(base_fd_, above, O_PATH | O_DIRECTORY, kBeneath);
    if (!parent) return fail(beneath_error(parent.error(), above));
    if (::mkdirat(parent->get(), parts[i - 1].c_str(), 0755) < 0 && errno != EEXIST)
      return fail_sys("mkdir " + quote(walked));
    image::EntryMetadata owner;
    owner.uid = opts_.uid;
    owner.gid = opts_.gid;
    auto made =
        BERTH_TRY(sys::openat2(base_fd_, walked, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, kBeneath));
    struct stat st;
    if (::fstat(made.get(), &st) < 0) return fail_sys("stat " + quote(walked));
    if (st.st_uid != opts_.uid || st.st_gid != opts_.gid)
      BERTH_CHECK(image::apply_ownership({made.get(), -1, walked}, owner));
  }
  return {};
}

Result<int> Extractor::parent_dir(const std::vector<std::string>& parts) {
  if (parts.size() <= 1) return base_fd_;
  std::string path = join_parts(parts, parts.size() - 1);
  if (cached_ && cached_path_ == path) return cached_.get();
  auto fd = sys::openat2(base_fd_, path, O_PATH | O_DIRECTORY, kBeneath);
  if (!fd && fd.error().errno_value == ENOENT) {
    BERTH_CHECK(make_dirs(parts, parts.size() - 1));
    fd = sys::openat2(base_fd_, path, O_PATH | O_DIRECTORY, kBeneath);
  }
  if (!fd) return fail(beneath_error(fd.error(), path));
  cached_ = std::move(*fd);
  cached_path_ = path;
  return cached_.get();
}

Status Extractor::clear_way(int dir_fd, const std::string& name, const std::string& path,
                            bool entry_dir, bool& keep_dir) {
  keep_dir = false;
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return {};
    return fail_sys("stat " + quote(path));
  }
  const bool is_dir = S_ISDIR(st.st_mode);
  if (is_dir && entry_dir) {
    keep_dir = true;
    return {};
  }
  if (!opts_.overwrite_dir_with_file) {
    if (is_dir)
      return fail_msg("cannot overwrite directory " + quote(path) + " with non-directory");
    if (entry_dir)
      return fail_msg("cannot overwrite non-directory " + quote(path) + " with directory");
  }
  // What goes may be a directory on the cached parent's path; dir_fd may be the cached fd itself,
  // so it stays open until the next lookup.
  cached_path_.clear();
  return image::layer_fs::remove(dir_fd, name);
}

Status Extractor::own(const image::EntryRef& ref, const image::EntryMetadata& meta) {
  if (opts_.copy_uid_gid && opts_.owner) {
    image::EntryMetadata mapped = meta;
    std::tie(mapped.uid, mapped.gid) = opts_.owner(meta.uid, meta.gid);
    return image::apply_ownership(ref, mapped);
  }
  if (opts_.copy_uid_gid) return image::apply_ownership(ref, meta);
  struct stat st;
  int r = ref.fd >= 0 ? ::fstat(ref.fd, &st)
                      : ::fstatat(ref.dir_fd, ref.name.c_str(), &st, AT_SYMLINK_NOFOLLOW);
  if (r < 0) return fail_sys("stat " + quote(ref.name));
  if (st.st_uid == opts_.uid && st.st_gid == opts_.gid) return {};
  image::EntryMetadata owner;
  owner.uid = opts_.uid;
  owner.gid = opts_.gid;
  return image::apply_ownership(ref, owner);
}

Status Extractor::set_xattrs(const image::EntryRef& ref, const image::EntryMetadata& meta) {
  // As docker: a filesystem or a caller that cannot keep an attribute does not fail the copy.
  for (const auto& xattr : meta.xattrs) {
    image::EntryMetadata one;
    one.xattrs.push_back(xattr);
    auto status = image::apply_xattrs(ref, one);
    if (!status && status.error().errno_value != ENOTSUP && status.error().errno_value != EPERM)
      return status;
  }
  return {};
}

Status Extractor::write_regular(archive* reader, int dir_fd, const std::string& name,
                                int64_t size_hint, const image::EntryMetadata& meta) {
  auto fd = BERTH_TRY(sys::openat(dir_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0600));
  const void* block = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  la_int64_t end = 0;
  for (;;) {
    int r = archive_read_data_block(reader, &block, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail_msg("read archive: " + image::archive_why(reader));
    const char* p = static_cast<const char*>(block);
    for (size_t done = 0; done < size;) {
      ssize_t n = ::pwrite(fd.get(), p + done, size - done, offset + static_cast<off_t>(done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_sys("write " + quote(name));
      }
      done += static_cast<size_t>(n);
    }
    end = offset + static_cast<la_int64_t>(size);
  }
  // A sparse file's last hole has no block.
  if (size_hint > end && ::ftruncate(fd.get(), size_hint) < 0)
    return fail_sys("truncate " + quote(name));
  image::EntryRef ref{fd.get(), dir_fd, name};
  BERTH_CHECK(own(ref, meta));
  BERTH_CHECK(set_xattrs(ref, meta));
  BERTH_CHECK(image::apply_mode(ref, meta));
  return image::apply_times(ref, meta);
}

Status Extractor::write_hardlink(const std::string& target, int dir_fd, const std::string& name,
                                 const std::string& path) {
  auto parts = entry_parts(target, opts_);
  if (!parts) return fail(parts.error().wrap("hard link to " + quote(target)));
  if (parts->empty()) return fail_msg("hard link to the destination itself refused");
  std::string clean = join_parts(*parts, parts->size());
  // O_NOFOLLOW: a hard link to a symlink links the symlink, as tar does.
  auto source = sys::openat2(base_fd_, clean, O_PATH | O_NOFOLLOW, kBeneath);
  if (!source)
    return fail(beneath_error(source.error(), clean).wrap("hard link to " + quote(target)));
  int src = source->get();
  int r = ::linkat(src, "", dir_fd, name.c_str(), AT_EMPTY_PATH);
  // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH before Linux 6.10; /proc/self/fd/N does not.
  if (r < 0 && (errno == ENOENT || errno == EPERM))
    r = ::linkat(AT_FDCWD, sys::fd_path(src).c_str(), dir_fd, name.c_str(), AT_SYMLINK_FOLLOW);
  if (r < 0) return fail_sys("link " + quote(path) + " to " + quote(target));
  return {};
}

Status Extractor::write(archive* reader, archive_entry* entry) {
  const char* raw = archive_entry_pathname(entry);
  if (raw == nullptr) raw = archive_entry_pathname_utf8(entry);
  if (raw == nullptr) return fail_msg("archive entry with an unreadable name");
  const std::string shown = raw;
  auto run = [&]() -> Status {
    auto parts = BERTH_TRY(entry_parts(shown, opts_));
    const auto type = archive_entry_filetype(entry);
    const char* link = archive_entry_hardlink(entry);
    // The destination itself ("./") is left as it is, as docker does.
    if (parts.empty()) return {};
    const std::string path = join_parts(parts, parts.size());
    const std::string& name = parts.back();
    int dir_fd = BERTH_TRY(parent_dir(parts));
    const bool entry_dir = link == nullptr && type == AE_IFDIR;
    if (link != nullptr) {
      auto target = entry_parts(link, opts_);
      // A link to itself (GNU tar writes them for a file given twice) changes nothing.
      if (target && join_parts(*target, target->size()) == path) return {};
    }
    bool keep_dir = false;
    BERTH_CHECK(clear_way(dir_fd, name, path, entry_dir, keep_dir));
    if (link != nullptr) return write_hardlink(link, dir_fd, name, path);
    auto meta = image::read_metadata(entry);
    switch (type) {
      case AE_IFREG:
        return write_regular(reader, dir_fd, name,
                             archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0,
                             meta);
      case AE_IFDIR: {
        // 0700 until finish(): the tar's mode may not let us write the directory's content.
        if (!keep_dir && ::mkdirat(dir_fd, name.c_str(), 0700) < 0)
          return fail_sys("mkdir " + quote(path));
        auto fd = BERTH_TRY(sys::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
        image::EntryRef ref{fd.get(), dir_fd, name};
        BERTH_CHECK(own(ref, meta));
        BERTH_CHECK(set_xattrs(ref, meta));
        auto [it, inserted] = dir_index_.try_emplace(path, dirs_.size());
        if (inserted)
          dirs_.push_back({path, meta});
        else
          dirs_[it->second].meta = meta;
        return {};
      }
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(entry);
        if (target == nullptr) target = archive_entry_symlink_utf8(entry);
        if (target == nullptr) return fail_msg("symlink without a target");
        if (::symlinkat(target, dir_fd, name.c_str()) < 0)
          return fail_sys("symlink " + quote(path));
        image::EntryRef ref{-1, dir_fd, name};
        BERTH_CHECK(own(ref, meta));
        BERTH_CHECK(set_xattrs(ref, meta));
        return image::apply_times(ref, meta);
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        dev_t dev = type == AE_IFIFO
                        ? 0
                        : makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
        if (::mknodat(dir_fd, name.c_str(), static_cast<mode_t>(type) | 0600, dev) < 0)
          return fail_sys("mknod " + quote(path));
        image::EntryRef ref{-1, dir_fd, name};
        BERTH_CHECK(own(ref, meta));
        BERTH_CHECK(set_xattrs(ref, meta));
        BERTH_CHECK(chmod_node(dir_fd, name, path, meta.mode));
        return image::apply_times(ref, meta);
      }
      default:
        return fail_msg("unsupported file type " + std::to_string(type));
    }
  };
  auto status = run();
  if (!status) return fail(status.error().wrap("archive entry " + quote(shown)));
  return {};
}

Status Extractor::finish() {
  cached_.reset();
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    auto fd = sys::openat2(base_fd_, it->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, kBeneath);
    if (!fd) {
      int e = fd.error().errno_value;
      // A later entry replaced the directory by something else.
      if (e == ENOENT || e == ENOTDIR || e == ELOOP) continue;
      return fail(fd.error().wrap("archive entry " + quote(it->path)));
    }
    image::EntryRef ref{fd->get(), -1, it->path};
    auto status = image::apply_mode(ref, it->meta);
    if (status) status = image::apply_times(ref, it->meta);
    if (!status) return fail(status.error().wrap("archive entry " + quote(it->path)));
  }
  return {};
}

}  // namespace

Status extract_beneath(int base_fd, int tar_fd, const ExtractOptions& opts) {
  auto reader = BERTH_TRY(image::open_tar_reader(tar_fd, "read archive"));
  Extractor extractor(base_fd, opts);
  for (;;) {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(reader.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail_msg("read archive: " + image::archive_why(reader.get()));
    BERTH_CHECK(extractor.write(reader.get(), entry));
  }
  return extractor.finish();
}

}  // namespace berth::engine
