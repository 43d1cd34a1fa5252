#include "image/blob_writer.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "image/blob_files.hpp"

namespace berth::image {

BlobWriter::BlobWriter(Digest expected, std::optional<uint64_t> size, const std::string& root,
                       unique_fd blobs_dir, unique_fd ingest_dir)
    : expected_(std::move(expected)),
      size_(size),
      ingest_path_(fs::join(root, "ingest/" + expected_.hex)),
      blob_path_(fs::join(root, "blobs/sha256/" + expected_.hex)),
      blobs_dir_(std::move(blobs_dir)),
      ingest_dir_(std::move(ingest_dir)) {}

bool BlobWriter::in_store() const {
  return blob_files::is_regular_at(blobs_dir_.get(), expected_.hex);
}

Status BlobWriter::start(bool wait) {
  const std::string& name = expected_.hex;
  for (;;) {
    if (in_store()) {
      exists_ = true;
      return {};
    }
    bool writable = true;
    int raw =
        ::openat(ingest_dir_.get(), name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (raw < 0 && errno == EACCES) {
      // A 0444 ingest file: a writer died between chmod and rename in commit(). Lock it to
      // remove it.
      writable = false;
      raw = ::openat(ingest_dir_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (raw < 0 && errno == ENOENT) continue;
    }
    if (raw < 0) return fail_sys("open " + quote(ingest_path_));
    unique_fd fd(raw);

    int r;
    do {
      r = ::flock(fd.get(), LOCK_EX | (wait ? 0 : LOCK_NB));
    } while (r < 0 && errno == EINTR);
    if (r < 0 && errno == EWOULDBLOCK)
      return fail_msg("write blob " + expected_.str() + ": another writer holds " +
                      quote(ingest_path_));
    if (r < 0) return fail_sys("flock " + quote(ingest_path_));

    // The writer we waited for may have renamed this file into blobs/ or removed it: our lock
    // then holds an inode that is no longer the ingest file.
    struct stat held, named;
    if (::fstat(fd.get(), &held) < 0) return fail_sys("stat " + quote(ingest_path_));
    if (::fstatat(ingest_dir_.get(), name.c_str(), &named, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) continue;
      return fail_sys("stat " + quote(ingest_path_));
    }
    if (held.st_dev != named.st_dev || held.st_ino != named.st_ino) continue;
    if (!S_ISREG(held.st_mode))
      return fail_msg("open " + quote(ingest_path_) + ": not a regular file");

    if (in_store() || !writable || (held.st_mode & S_IWUSR) == 0) {
      if (::unlinkat(ingest_dir_.get(), name.c_str(), 0) < 0 && errno != ENOENT)
        return fail_sys("remove " + quote(ingest_path_));
      continue;
    }
    file_ = std::move(fd);
    return resume();
  }
}

Status BlobWriter::resume() {
  hash_ = std::make_unique<Sha256>();
  offset_ = 0;
  if (::lseek(file_.get(), 0, SEEK_SET) < 0) return fail_sys("seek " + quote(ingest_path_));
  char buf[1 << 16];
  for (;;) {
    auto n = sys::read_some(file_.get(), buf, sizeof(buf));
    if (!n) return fail(n.error().wrap("read " + quote(ingest_path_)));
    if (*n == 0) break;
    hash_->update(buf, *n);
    offset_ += *n;
  }
  if (size_ && offset_ > *size_) return restart();
  return {};
}

Status BlobWriter::restart() {
  if (exists_) return {};
  if (!file_) return fail_msg("restart blob " + expected_.str() + ": writer has ended");
  if (::ftruncate(file_.get(), 0) < 0) return fail_sys("truncate " + quote(ingest_path_));
  if (::lseek(file_.get(), 0, SEEK_SET) < 0) return fail_sys("seek " + quote(ingest_path_));
  hash_ = std::make_unique<Sha256>();
  offset_ = 0;
  broken_ = false;
  return {};
}

Status BlobWriter::write(std::string_view data) {
  if (exists_) return {};
  if (!file_) return fail_msg("write blob " + expected_.str() + ": writer has ended");
  if (broken_) return fail_msg("write blob " + expected_.str() + ": an earlier write failed");
  if (size_ && data.size() > *size_ - offset_) {
    BERTH_CHECK(discard());
    return fail_msg("write blob " + expected_.str() + ": more than the expected " +
                    std::to_string(*size_) + " bytes");
  }
  if (auto r = sys::write_all(file_.get(), data.data(), data.size()); !r) {
    broken_ = true;
    return fail(r.error().wrap(quote(ingest_path_)));
  }
  hash_->update(data.data(), data.size());
  offset_ += data.size();
  return {};
}

Status BlobWriter::discard() {
  Status removed;
  if (::unlinkat(ingest_dir_.get(), expected_.hex.c_str(), 0) < 0 && errno != ENOENT)
    removed = fail_sys("remove " + quote(ingest_path_));
  end();
  return removed;
}

void BlobWriter::end() {
  // A forked child may share this open file description, and with it the lock: close alone
  // would not release it.
  if (file_) ::flock(file_.get(), LOCK_UN);
  file_.reset();
  hash_.reset();
}

Status BlobWriter::abort() {
  if (exists_ || !file_) return {};
  return discard();
}

Status BlobWriter::commit() {
  const std::string what = "commit blob " + expected_.str();
  if (exists_) return {};
  if (!file_) return fail_msg(what + ": writer has ended");
  if (broken_) return fail_msg(what + ": an earlier write failed");
  if (size_ && offset_ != *size_) {
    BERTH_CHECK(discard());
    return fail_msg(what + ": size mismatch: expected " + std::to_string(*size_) + " bytes, got " +
                    std::to_string(offset_));
  }
  Digest actual = hash_->finish();
  hash_.reset();
  if (actual != expected_) {
    BERTH_CHECK(discard());
    return fail_msg(what + ": digest mismatch: got " + actual.str());
  }
  auto moved = move_into_place();
  end();
  return moved;
}

Status BlobWriter::move_into_place() {
  struct stat st;
  if (::fstat(file_.get(), &st) < 0) return fail_sys("stat " + quote(ingest_path_));
  if (static_cast<uint64_t>(st.st_size) != offset_)
    return fail_msg("commit blob " + expected_.str() + ": " + quote(ingest_path_) + " has " +
                    std::to_string(st.st_size) + " bytes, " + std::to_string(offset_) +
                    " were written");
  BERTH_CHECK(blob_files::fsync(file_.get(), ingest_path_));
  if (::fchmod(file_.get(), 0444) < 0) return fail_sys("chmod " + quote(ingest_path_));
  const char* name = expected_.hex.c_str();
  int r = ::renameat2(ingest_dir_.get(), name, blobs_dir_.get(), name, RENAME_NOREPLACE);
  const int err = r < 0 ? errno : 0;
  if (err == EEXIST && in_store()) {
    if (::unlinkat(ingest_dir_.get(), name, 0) < 0 && errno != ENOENT)
      return fail_sys("remove " + quote(ingest_path_));
    return {};
  }
  // EEXIST: not a regular file (a planted symlink); rename replaces the name, never a target.
  // EINVAL: a filesystem without RENAME_NOREPLACE.
  if (err == EEXIST || err == EINVAL)
    r = ::renameat(ingest_dir_.get(), name, blobs_dir_.get(), name);
  if (r < 0) return fail_sys("rename " + quote(ingest_path_) + " to " + quote(blob_path_));
  return blob_files::fsync(blobs_dir_.get(), fs::dirname(blob_path_));
}

}  // namespace berth::image
