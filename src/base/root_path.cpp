#include "base/root_path.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include <vector>

#include "base/strings.hpp"
#include "base/syscalls.hpp"

namespace berth::root_path {

namespace {

constexpr uint64_t kResolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  for (auto& part : split(path, '/'))
    if (!part.empty() && part != ".") out.push_back(std::move(part));
  return out;
}

}  // namespace

Result<unique_fd> open(int root_fd, const std::string& path, int flags, mode_t mode) {
  return sys::openat2(root_fd, path, static_cast<uint64_t>(flags), kResolve, mode);
}

Result<unique_fd> mkdir_all(int root_fd, const std::string& path, mode_t mode) {
  // Each step is resolved from the previous directory's fd, in the root, so a symlink planted
  // in the middle still resolves inside the root.
  auto current = BERTH_TRY(sys::openat(root_fd, ".", O_PATH | O_DIRECTORY));
  std::string walked;
  for (const auto& part : components(path)) {
    walked += "/" + part;
    auto next = sys::openat2(root_fd, walked, O_PATH | O_DIRECTORY, kResolve);
    if (!next && next.error().errno_value == ENOENT) {
      if (::mkdirat(current.get(), part.c_str(), mode) < 0 && errno != EEXIST)
        return fail_sys("mkdir " + quote(walked));
      next = sys::openat2(root_fd, walked, O_PATH | O_DIRECTORY, kResolve);
    }
    if (!next) return fail(next.error());
    current = std::move(*next);
  }
  return current;
}

Result<unique_fd> ensure(int root_fd, const std::string& path, bool directory, mode_t mode) {
  if (directory) return mkdir_all(root_fd, path, mode);
  auto existing = sys::openat2(root_fd, path, O_PATH, kResolve);
  if (existing) return existing;
  if (existing.error().errno_value != ENOENT) return existing;
  auto slash = path.find_last_of('/');
  std::string parent = slash == std::string::npos ? "/" : path.substr(0, slash);
  auto dir = BERTH_TRY(mkdir_all(root_fd, parent, 0755));
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  auto dirfd = BERTH_TRY(sys::open(sys::fd_path(dir.get()), O_RDONLY | O_DIRECTORY));
  int fd = ::openat(dirfd.get(), name.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno != EEXIST) return fail_sys("create " + quote(path));
  if (fd >= 0) ::close(fd);
  return sys::openat2(root_fd, path, O_PATH, kResolve);
}

}  // namespace berth::root_path
