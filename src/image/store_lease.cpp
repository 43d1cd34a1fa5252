#include "image/store_lease.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include "base/fs.hpp"
#include "base/syscalls.hpp"

namespace berth::image {

namespace {

Result<unique_fd> lock_file(const std::string& data_root, int op, bool* busy) {
  std::string path = fs::join(data_root, "gc.lock");
  auto fd = BERTH_TRY(sys::open(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600));
  int r;
  do {
    r = ::flock(fd.get(), op);
  } while (r < 0 && errno == EINTR);
  if (r < 0 && errno == EWOULDBLOCK && busy != nullptr) {
    *busy = true;
    return unique_fd();
  }
  if (r < 0) return fail_sys("flock " + quote(path));
  return fd;
}

int lock_op(StoreLease::Mode mode) {
  return mode == StoreLease::Mode::shared ? LOCK_SH : LOCK_EX;
}

}  // namespace

Result<StoreLease> StoreLease::take(const std::string& data_root, Mode mode) {
  return StoreLease(BERTH_TRY(lock_file(data_root, lock_op(mode), nullptr)));
}

Result<std::optional<StoreLease>> StoreLease::try_take(const std::string& data_root, Mode mode) {
  bool busy = false;
  auto fd = BERTH_TRY(lock_file(data_root, lock_op(mode) | LOCK_NB, &busy));
  if (busy) return std::optional<StoreLease>();
  return std::optional<StoreLease>(StoreLease(std::move(fd)));
}

}  // namespace berth::image
