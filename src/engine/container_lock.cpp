#include "engine/container_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include "base/fs.hpp"
#include "base/syscalls.hpp"

namespace berth::engine {

Result<ContainerLock> ContainerLock::acquire(const std::string& data_dir) {
  BERTH_CHECK(fs::mkdir_p(data_dir, 0700));
  ContainerLock lock;
  std::string path = data_dir + "/lock";
  lock.fd_ = BERTH_TRY(sys::open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  while (::flock(lock.fd_.get(), LOCK_EX) < 0)
    if (errno != EINTR) return fail_sys("lock " + quote(path));
  return lock;
}

}  // namespace berth::engine
