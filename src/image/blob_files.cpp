#include "image/blob_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::image::blob_files {

bool is_regular_at(int dirfd, const std::string& name) {
  struct stat st;
  return ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

Result<unique_fd> dup(int fd, const std::string& shown) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return fail_sys("dup fd of " + quote(shown));
  return unique_fd(copy);
}

Status fsync(int fd, const std::string& shown) {
  int r;
  do {
    r = ::fsync(fd);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return fail_sys("fsync " + quote(shown));
  return {};
}

}  // namespace berth::image::blob_files
