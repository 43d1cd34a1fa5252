#include "base/fs.hpp"

#include <algorithm>
#include <sstream>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/syscalls.hpp"

namespace berth::fs {

Result<std::string> read_fd(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    auto n = BERTH_TRY(sys::read_some(fd, buf, sizeof(buf)));
    if (n == 0) break;
    out.append(buf, n);
  }
  return out;
}

Result<std::string> read_file(const std::string& path) {
  auto fd = BERTH_TRY(sys::open(path, O_RDONLY));
  auto r = read_fd(fd.get());
  if (!r) return fail(r.error().wrap("read " + quote(path)));
  return r;
}

Status write_file(const std::string& path, const std::string& data) {
  auto fd = BERTH_TRY(sys::open(path, O_WRONLY));
  ssize_t n;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_sys("write " + quote(path));
  if (static_cast<size_t>(n) != data.size()) return fail_msg("short write to " + quote(path));
  return {};
}

Status write_file_atomic(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    auto fd = BERTH_TRY(sys::open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
    if (auto r = sys::write_all(fd.get(), data); !r) {
      ::unlink(tmp.c_str());
      return fail(r.error().wrap("write " + quote(tmp)));
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    auto e = sys_error("rename " + quote(tmp) + " to " + quote(path));
    ::unlink(tmp.c_str());
    return fail(e);
  }
  return {};
}

Status mkdir_p(const std::string& path, mode_t mode) {
  if (path.empty()) return {};
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return {};
    return fail_msg("mkdir " + quote(path) + ": exists and is not a directory");
  }
  auto parent = dirname(path);
  if (parent != path) BERTH_CHECK(mkdir_p(parent, mode));
  if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) return fail_sys("mkdir " + quote(path));
  return {};
}

Result<std::vector<std::string>> names_at(int dir_fd, const std::string& shown) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_sys("open " + quote(shown));
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return fail_sys("opendir " + quote(shown));
  }
  std::vector<std::string> names;
  errno = 0;
  while (auto* ent = ::readdir(dir)) {
    std::string name = ent->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
    errno = 0;
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return fail(sys_error(err, "readdir " + quote(shown)));
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

// A directory to empty: one that its owner may not read or search is made 0700 first (a layer
// can hold such directories).
Result<unique_fd> open_dir_for_removal(int dir_fd, const std::string& name,
                                       const std::string& shown) {
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EACCES) {
    // Not readable by its owner: chmod through an O_PATH fd's magic link, which fchmod can't take.
    auto path_fd = BERTH_TRY(sys::openat(dir_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW));
    if (::chmod(sys::fd_path(path_fd.get()).c_str(), 0700) < 0)
      return fail_sys("chmod " + quote(shown));
    fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) return fail_sys("open " + quote(shown));
  unique_fd owned(fd);
  struct stat st;
  if (::fstat(fd, &st) < 0) return fail_sys("stat " + quote(shown));
  if ((st.st_mode & 0700) != 0700 && ::fchmod(fd, (st.st_mode & 07777) | 0700) < 0)
    return fail_sys("chmod " + quote(shown));
  return owned;
}

Status remove_at(int dir_fd, const std::string& name, const std::string& shown) {
  if (::unlinkat(dir_fd, name.c_str(), 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR && errno != EPERM) return fail_sys("remove " + quote(shown));
  const int unlink_errno = errno;
  auto fd = open_dir_for_removal(dir_fd, name, shown);
  if (!fd) {
    int e = fd.error().errno_value;
    if (e == ENOENT) return {};
    if (e == ENOTDIR || e == ELOOP) {
      errno = unlink_errno;  // not a directory: EPERM was the answer (an immutable folder, say)
      return fail_sys("remove " + quote(shown));
    }
    return fail(fd.error());
  }
  auto names = BERTH_TRY(names_at(fd->get(), shown));
  for (const auto& child : names) BERTH_CHECK(remove_at(fd->get(), child, shown + "/" + child));
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
    return fail_sys("remove " + quote(shown));
  return {};
}

}  // namespace

Status remove_all(const std::string& path) {
  return remove_at(AT_FDCWD, path, path);
}

Status remove_all_at(int dir_fd, const std::string& name, const std::string& shown) {
  return remove_at(dir_fd, name, shown.empty() ? name : shown);
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

std::string dirname(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

std::string basename(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == std::string::npos ? path : path.substr(pos + 1);
}

uint64_t keyed_number(const std::string& path, const std::string& key) {
  auto text = read_file(path);
  if (!text) return 0;
  std::istringstream in(*text);
  std::string name;
  uint64_t value = 0;
  while (in >> name >> value)
    if (name == key) return value;
  return 0;
}

std::string join(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  if (a.back() == '/') return b.front() == '/' ? a + b.substr(1) : a + b;
  return b.front() == '/' ? a + b : a + "/" + b;
}

}  // namespace berth::fs
