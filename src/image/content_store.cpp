#include "image/content_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "image/blob_files.hpp"

namespace berth::image {

namespace {

Result<unique_fd> open_subdir(int parent, const std::string& name, const std::string& shown) {
  if (::mkdirat(parent, name.c_str(), 0700) < 0 && errno != EEXIST)
    return fail_sys("mkdir " + quote(shown));
  int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail_sys("open " + quote(shown));
  return unique_fd(fd);
}

// O_NONBLOCK: a FIFO planted in the store must not hang the open.
Result<unique_fd> open_regular(int dirfd, const std::string& name, const std::string& shown) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fail_sys("open " + quote(shown));
  unique_fd owned(fd);
  struct stat st;
  if (::fstat(fd, &st) < 0) return fail_sys("stat " + quote(shown));
  if (!S_ISREG(st.st_mode)) return fail_msg("open " + quote(shown) + ": not a regular file");
  if (::fcntl(fd, F_SETFL, O_RDONLY) < 0) return fail_sys("fcntl " + quote(shown));
  return owned;
}

Result<Digest> hash_fd(int fd, const std::string& shown) {
  Sha256 hash;
  char buf[1 << 16];
  for (;;) {
    auto n = sys::read_some(fd, buf, sizeof(buf));
    if (!n) return fail(n.error().wrap(quote(shown)));
    if (*n == 0) break;
    hash.update(buf, *n);
  }
  return hash.finish();
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

Result<ContentStore> ContentStore::open(const std::string& root) {
  BERTH_CHECK(fs::mkdir_p(root, 0700));
  auto root_fd = BERTH_TRY(sys::open(root, O_RDONLY | O_DIRECTORY));
  auto blobs = BERTH_TRY(open_subdir(root_fd.get(), "blobs", fs::join(root, "blobs")));
  auto sha256 = BERTH_TRY(open_subdir(blobs.get(), "sha256", fs::join(root, "blobs/sha256")));
  auto ingest = BERTH_TRY(open_subdir(root_fd.get(), "ingest", fs::join(root, "ingest")));
  return ContentStore(root, std::move(sha256), std::move(ingest));
}

std::string ContentStore::path(const Digest& d) const {
  return fs::join(root_, "blobs/sha256/" + d.hex);
}

bool ContentStore::has(const Digest& d) const {
  return check_digest(d) && blob_files::is_regular_at(blobs_dir_.get(), d.hex);
}

Result<unique_fd> ContentStore::open_blob(const Digest& d) const {
  BERTH_CHECK(check_digest(d));
  return open_regular(blobs_dir_.get(), d.hex, path(d));
}

Result<uint64_t> ContentStore::size(const Digest& d) const {
  BERTH_CHECK(check_digest(d));
  struct stat st;
  if (::fstatat(blobs_dir_.get(), d.hex.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
    return fail_sys("stat " + quote(path(d)));
  if (!S_ISREG(st.st_mode)) return fail_msg("stat " + quote(path(d)) + ": not a regular file");
  return static_cast<uint64_t>(st.st_size);
}

Result<std::string> ContentStore::read(const Digest& d, size_t max_size) const {
  auto fd = BERTH_TRY(open_blob(d));
  std::string data;
  char buf[1 << 16];
  for (;;) {
    auto n = sys::read_some(fd.get(), buf, sizeof(buf));
    if (!n) return fail(n.error().wrap(quote(path(d))));
    if (*n == 0) break;
    if (*n > max_size - data.size())
      return fail_msg("read blob " + d.str() + ": larger than the limit of " +
                      std::to_string(max_size) + " bytes");
    data.append(buf, *n);
  }
  Digest actual = sha256_of(data);
  if (actual != d)
    return fail_msg("read blob " + d.str() + ": digest mismatch: got " + actual.str());
  return data;
}

Result<BlobWriter> ContentStore::writer(const Digest& expected, std::optional<uint64_t> size,
                                        Wait wait) const {
  BERTH_CHECK(check_digest(expected));
  auto blobs = BERTH_TRY(blob_files::dup(blobs_dir_.get(), fs::join(root_, "blobs/sha256")));
  auto ingest = BERTH_TRY(blob_files::dup(ingest_dir_.get(), fs::join(root_, "ingest")));
  BlobWriter w(expected, size, root_, std::move(blobs), std::move(ingest));
  BERTH_CHECK(w.start(wait == Wait::yes));
  return w;
}

Result<Digest> ContentStore::put(std::string_view data) const {
  Digest d = sha256_of(data);
  auto w = BERTH_TRY(writer(d, data.size()));
  if (w.exists()) return d;
  if (w.offset() != 0) BERTH_CHECK(w.restart());
  BERTH_CHECK(w.write(data));
  BERTH_CHECK(w.commit());
  return d;
}

Status ContentStore::remove(const Digest& d) const {
  BERTH_CHECK(check_digest(d));
  if (::unlinkat(blobs_dir_.get(), d.hex.c_str(), 0) < 0)
    return fail_sys("remove " + quote(path(d)));
  return {};
}

Result<std::vector<Digest>> ContentStore::list() const {
  auto names = BERTH_TRY(fs::names_at(blobs_dir_.get(), fs::join(root_, "blobs/sha256")));
  std::vector<Digest> out;
  for (const auto& name : names) {
    auto d = parse_digest("sha256:" + name);
    if (d && blob_files::is_regular_at(blobs_dir_.get(), name)) out.push_back(std::move(*d));
  }
  return out;
}

Result<std::vector<std::string>> ContentStore::check() const {
  auto names = BERTH_TRY(fs::names_at(blobs_dir_.get(), fs::join(root_, "blobs/sha256")));
  std::vector<std::string> bad;
  for (const auto& name : names) {
    std::string shown = fs::join(root_, "blobs/sha256/" + name);
    auto d = parse_digest("sha256:" + name);
    if (!d) {
      bad.push_back(quote(shown) + ": name is not a sha256 digest");
      continue;
    }
    auto fd = open_regular(blobs_dir_.get(), name, shown);
    if (!fd) {
      if (fd.error().errno_value == ENOENT) continue;  // removed while we looked
      bad.push_back(fd.error().errno_value == ELOOP ? quote(shown) + ": a symlink"
                                                    : fd.error().what());
      continue;
    }
    auto actual = hash_fd(fd->get(), shown);
    if (!actual) {
      bad.push_back(actual.error().what());
      continue;
    }
    if (*actual != *d) {
      bad.push_back(quote(shown) + ": content has digest " + actual->str());
      continue;
    }
    struct stat st;
    if (::fstat(fd->get(), &st) == 0 && (st.st_mode & 0222) != 0)
      bad.push_back(quote(shown) + ": writable (mode " + octal_mode(st.st_mode) + ")");
  }
  return bad;
}

}  // namespace berth::image
