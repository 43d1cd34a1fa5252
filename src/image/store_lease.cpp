#include "image/store_lease.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include "base/fs.hpp"
#include "base/syscalls.hpp"

namespace berth::image {

Result<StoreLease> StoreLease::take(const std::string& data_root, Mode mode) {
  std::string path = fs::join(data_root, "gc.lock");
  auto fd = BERTH_TRY(sys::open(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600));
  int op = mode == Mode::shared ? LOCK_SH : LOCK_EX;
  int r;
  do {
    r = ::flock(fd.get(), op);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return fail_sys("flock " + quote(path));
  return StoreLease(std::move(fd));
}

}  // namespace berth::image
