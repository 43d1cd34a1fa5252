#include "runtime/exe_protection.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/syscalls.hpp"

extern char** environ;

namespace berth::runtime {

namespace {

bool on_readonly_mount(int fd) {
  struct statvfs st;
  return ::fstatvfs(fd, &st) == 0 && (st.f_flag & ST_RDONLY);
}

Status reexec_sealed_copy(int exe_path_fd, char** argv) {
  auto source = BERTH_TRY(sys::open(sys::fd_path(exe_path_fd), O_RDONLY));
  int fd = ::memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return fail_sys("memfd_create for the runtime binary");
  unique_fd copy(fd);
  struct stat st;
  if (::fstat(source.get(), &st) < 0) return fail_sys("stat the runtime binary");
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n =
        ::sendfile(copy.get(), source.get(), &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail_sys("copy the runtime binary");
  }
  if (::fcntl(copy.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) <
      0)
    return fail_sys("seal the runtime binary copy");
  ::syscall(SYS_execveat, copy.get(), "", argv, environ, AT_EMPTY_PATH);
  return fail_sys("re-exec the runtime from its sealed copy");
}

}  // namespace

Status protect_runtime_binary(char** argv) {
  auto exe = BERTH_TRY(sys::open("/proc/self/exe", O_PATH));
  if (on_readonly_mount(exe.get())) return {};
  int seals = ::fcntl(exe.get(), F_GET_SEALS);
  if (seals >= 0 && (seals & F_SEAL_WRITE)) return {};
  if (::geteuid() != 0) {
    // Without CAP_SYS_ADMIN we cannot make mounts; a binary we cannot write is safe as it is,
    // one we can write (a build of our own) runs from a sealed copy in memory.
    if (::faccessat(AT_FDCWD, "/proc/self/exe", W_OK, AT_EACCESS) != 0) return {};
    return reexec_sealed_copy(exe.get(), argv);
  }
  auto tree = BERTH_TRY(sys::open_tree(AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE));
  BERTH_CHECK(sys::mount_setattr(tree.get(), "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0, 0, -1));
  ::syscall(SYS_execveat, tree.get(), "", argv, environ, AT_EMPTY_PATH);
  return fail_sys("re-exec the runtime from a read-only mount");
}

}  // namespace berth::runtime
