#include "runtime/exe_protection.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "base/syscalls.hpp"

extern char** environ;

namespace berth::runtime {

namespace {

constexpr const char* kStubName = "berth-runtime-exec";

bool is_permission_error(int err) {
  return err == EPERM || err == EACCES;
}

bool on_readonly_mount(int fd) {
  struct statvfs st;
  return ::fstatvfs(fd, &st) == 0 && (st.f_flag & ST_RDONLY);
}

// A sealed in-memory copy of the file open at fd: what it names cannot be written.
Result<unique_fd> sealed_copy(int source, const char* name) {
  int fd = ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return fail_sys(std::string("memfd_create for a copy of ") + name);
  unique_fd copy(fd);
  struct stat st;
  if (::fstat(source, &st) < 0) return fail_sys(std::string("stat ") + name);
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = ::sendfile(copy.get(), source, &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail_sys(std::string("copy ") + name);
  }
  if (::fcntl(copy.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) <
      0)
    return fail_sys(std::string("seal the copy of ") + name);
  return copy;
}

// The stub from a read-only mount; where we may not make mounts (rootless), a sealed copy.
Result<unique_fd> open_stub() {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return fail_sys("readlink /proc/self/exe");
  self[n] = '\0';
  const std::string path = fs::join(fs::dirname(self), kStubName);
  auto mounted = open_readonly_binary(path);
  if (mounted || !is_permission_error(mounted.error().errno_value)) return mounted;
  auto source = BERTH_TRY(sys::open(path, O_RDONLY));
  return sealed_copy(source.get(), kStubName);
}

}  // namespace

Result<unique_fd> open_readonly_binary(const std::string& path) {
  auto tree =
      BERTH_TRY(sys::open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  BERTH_CHECK(sys::mount_setattr(tree.get(), "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0, 0, -1));
  return tree;
}

Result<unique_fd> guard_runtime_binary(bool stub_safe, bool rootless, int preserve_fds,
                                       char** argv) {
  auto exe = BERTH_TRY(sys::open("/proc/self/exe", O_PATH));
  if (on_readonly_mount(exe.get())) return unique_fd{};
  int seals = ::fcntl(exe.get(), F_GET_SEALS);
  if (seals >= 0 && (seals & F_SEAL_WRITE)) return unique_fd{};
  // A binary we cannot write (an installed one, for a rootless user) is safe as it is.
  if (::faccessat(AT_FDCWD, "/proc/self/exe", W_OK, AT_EACCESS) != 0) return unique_fd{};
  // A library caller (berth-monitor, berth) cannot re-exec: the stub is all it has.
  const bool can_reexec = argv != nullptr;
  if ((!rootless && stub_safe) || !can_reexec) {
    if (auto stub = open_stub()) {
      // Above the fds --preserve-fds hands to the container, which lose close-on-exec.
      const int lowest = 3 + preserve_fds;
      if (stub->get() < lowest) {
        int moved = ::fcntl(stub->get(), F_DUPFD_CLOEXEC, lowest);
        if (moved < 0) return fail_sys("move the exec stub's fd");
        *stub = unique_fd(moved);
      }
      return std::move(*stub);
    }
    if (!can_reexec) return unique_fd{};
  }
  if (rootless) {
    auto source = BERTH_TRY(sys::open(sys::fd_path(exe.get()), O_RDONLY));
    auto copy = BERTH_TRY(sealed_copy(source.get(), "berth-runtime"));
    ::syscall(SYS_execveat, copy.get(), "", argv, environ, AT_EMPTY_PATH);
    return fail_sys("re-exec the runtime from its sealed copy");
  }
  auto tree = BERTH_TRY(open_readonly_binary("/proc/self/exe"));
  ::syscall(SYS_execveat, tree.get(), "", argv, environ, AT_EMPTY_PATH);
  return fail_sys("re-exec the runtime from a read-only mount");
}

Status make_undumpable() {
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) return fail_sys("prctl PR_SET_DUMPABLE 0");
  return {};
}

bool have_cap_sys_ptrace() {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) < 0) return false;
  return data[CAP_SYS_PTRACE / 32].effective & (1u << (CAP_SYS_PTRACE % 32));
}

bool may_ptrace_runtime(const Process& process, bool user_namespace) {
  if (user_namespace) return false;
  if (!process.capabilities) return true;  // no capabilities object: none are dropped
  const auto& bounding = process.capabilities->bounding;
  return std::find(bounding.begin(), bounding.end(), "CAP_SYS_PTRACE") != bounding.end();
}

Error exec_via_stub(int stub_fd, const std::string& executable, char** argv, char** envp) {
  if (stub_fd < 0) {
    ::execve(executable.c_str(), argv, envp);
    return sys_error("exec " + quote(executable));
  }
  std::vector<char*> via{const_cast<char*>(kStubName), const_cast<char*>(executable.c_str())};
  for (char** a = argv; *a != nullptr; ++a) via.push_back(*a);
  via.push_back(nullptr);
  // execve through the container's /proc first: seccomp profiles allow execve, not always
  // execveat (and some kill on it). Without /proc, execveat.
  std::string path = "/proc/self/fd/" + std::to_string(stub_fd);
  ::execve(path.c_str(), via.data(), envp);
  if (errno == ENOENT) ::syscall(SYS_execveat, stub_fd, "", via.data(), envp, AT_EMPTY_PATH);
  return sys_error("exec " + quote(executable) + " through " + kStubName);
}

}  // namespace berth::runtime
