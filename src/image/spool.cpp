#include "image/spool.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fs.hpp"
#include "base/syscalls.hpp"

namespace berth::image {

namespace {

constexpr size_t kCopyBlock = 1 << 20;

Status pread_all(int fd, char* data, size_t len, uint64_t offset, const std::string& what) {
  while (len > 0) {
    ssize_t n = ::pread(fd, data, len, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys("read " + what);
    if (n == 0) return fail_msg("read " + what + ": unexpected end of file");
    data += n;
    len -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return {};
}

// An unnamed file in dir: O_TMPFILE, else a named one removed at once.
Result<unique_fd> anonymous_file(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return unique_fd(fd);
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
    return fail_sys("create a temporary file in " + quote(dir));
  std::string name = fs::join(dir, ".spool-XXXXXX");
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return fail_sys("create a temporary file in " + quote(dir));
  ::unlink(name.c_str());
  return unique_fd(fd);
}

}  // namespace

Spool::Spool(const ContentStore& store, size_t memory_limit)
    : store_(&store), memory_limit_(memory_limit), hash_(std::make_unique<Sha256>()) {}

Status Spool::spill() {
  file_ = BERTH_TRY(anonymous_file(fs::join(store_->root(), "ingest")));
  BERTH_CHECK(sys::write_all(file_.get(), memory_));
  memory_.clear();
  memory_.shrink_to_fit();
  return {};
}

Status Spool::write(std::string_view data) {
  if (digest_) return fail_msg("spool: write after the end");
  hash_->update(data.data(), data.size());
  size_ += data.size();
  if (in_memory() && size_ <= memory_limit_) {
    memory_.append(data);
    return {};
  }
  if (in_memory()) BERTH_CHECK(spill());
  return sys::write_all(file_.get(), data.data(), data.size());
}

const Digest& Spool::finish() {
  if (!digest_) {
    digest_ = hash_->finish();
    hash_.reset();
  }
  return *digest_;
}

Result<std::string> Spool::read(size_t max_size) const {
  if (size_ > max_size)
    return fail_msg("larger than the limit of " + std::to_string(max_size) + " bytes");
  if (in_memory()) return memory_;
  std::string data(size_, '\0');
  BERTH_CHECK(pread_all(file_.get(), data.data(), data.size(), 0, "spooled content"));
  return data;
}

Result<unique_fd> Spool::open() const {
  if (!in_memory()) return sys::open(sys::fd_path(file_.get()), O_RDONLY | O_CLOEXEC);
  unique_fd fd(::memfd_create("spool", MFD_CLOEXEC));
  if (!fd) return fail_sys("memfd_create");
  BERTH_CHECK(sys::write_all(fd.get(), memory_));
  if (::lseek(fd.get(), 0, SEEK_SET) < 0) return fail_sys("seek memfd");
  return fd;
}

Status Spool::copy_into(BlobWriter& writer) const {
  if (in_memory()) return writer.write(memory_);
  std::string buf(kCopyBlock, '\0');
  for (uint64_t offset = 0; offset < size_;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - offset));
    BERTH_CHECK(pread_all(file_.get(), buf.data(), n, offset, "spooled content"));
    BERTH_CHECK(writer.write(std::string_view(buf.data(), n)));
    offset += n;
  }
  return {};
}

Status Spool::commit() const {
  if (!digest_) return fail_msg("spool: commit before the end");
  const Digest& d = *digest_;
  if (store_->has(d)) return {};
  if (in_memory()) {
    BERTH_CHECK(store_->put(memory_));
    return {};
  }
  // Linked as <root>/ingest/<hex>, the file is what the store's writer resumes from: it rehashes
  // the bytes and finds them complete.
  auto ingest = BERTH_TRY(sys::open(fs::join(store_->root(), "ingest"), O_PATH | O_DIRECTORY));
  int r = ::linkat(file_.get(), "", ingest.get(), d.hex.c_str(), AT_EMPTY_PATH);
  // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH before Linux 6.10; /proc/self/fd/N does not.
  if (r < 0 && (errno == ENOENT || errno == EPERM))
    r = ::linkat(AT_FDCWD, sys::fd_path(file_.get()).c_str(), ingest.get(), d.hex.c_str(),
                 AT_SYMLINK_FOLLOW);
  auto writer = BERTH_TRY(store_->writer(d, size_));
  if (writer.exists()) {
    // Committed meanwhile by another writer: what we linked is a leftover.
    if (r == 0) ::unlinkat(ingest.get(), d.hex.c_str(), 0);
    return {};
  }
  if (r < 0 || writer.offset() != size_) {
    if (writer.offset() != 0) BERTH_CHECK(writer.restart());
    BERTH_CHECK(copy_into(writer));
  }
  return writer.commit();
}

}  // namespace berth::image
