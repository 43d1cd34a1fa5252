#include "image/leftovers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "image/dir_tree.hpp"

namespace berth::image::leftovers {

namespace {

int64_t compute_process_start() {
  // /proc/self/stat field 22 is the start in clock ticks after boot; /proc/stat's btime the boot.
  auto stat = fs::read_file("/proc/self/stat");
  auto boot = fs::read_file("/proc/stat");
  if (!stat || !boot) return static_cast<int64_t>(::time(nullptr));
  auto close_paren = stat->rfind(')');
  if (close_paren == std::string::npos) return static_cast<int64_t>(::time(nullptr));
  std::istringstream fields(stat->substr(close_paren + 2));
  std::string field;
  unsigned long long ticks = 0;
  // Fields after "(comm)" start at field 3 (state); the start time is field 22.
  for (int i = 3; i <= 22 && fields >> field; ++i)
    if (i == 22) ticks = std::stoull(field);
  auto at = boot->find("\nbtime ");
  if (at == std::string::npos) return static_cast<int64_t>(::time(nullptr));
  long long btime = std::stoll(boot->substr(at + 7));
  long hz = ::sysconf(_SC_CLK_TCK);
  return btime + static_cast<int64_t>(ticks / static_cast<unsigned long long>(hz > 0 ? hz : 100));
}

std::string random_hex() {
  unsigned char bytes[6];
  if (::getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) {
    auto seed = static_cast<uint64_t>(::time(nullptr)) ^ (static_cast<uint64_t>(::getpid()) << 20);
    for (auto& b : bytes) b = static_cast<unsigned char>(seed >>= 7);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (auto b : bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

}  // namespace

std::string temp_name(const std::string& tag) {
  return std::string(kTempPrefix) + tag + "-" + random_hex();
}

Result<std::pair<std::string, unique_fd>> make_locked_dir(int dir_fd, const std::string& tag,
                                                          const std::string& shown_dir) {
  for (int attempt = 0;; ++attempt) {
    std::string name = temp_name(tag);
    if (::mkdirat(dir_fd, name.c_str(), 0700) < 0) {
      if (errno == EEXIST && attempt < 10) continue;
      return fail_sys("mkdir " + quote(fs::join(shown_dir, name)));
    }
    auto fd = BERTH_TRY(sys::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0)
      return fail_sys("flock " + quote(fs::join(shown_dir, name)));
    return std::pair{std::move(name), std::move(fd)};
  }
}

int64_t process_start_unix() {
  static const int64_t start = compute_process_start();
  return start;
}

Result<std::vector<std::string>> find(const std::string& dir, std::string_view prefix,
                                      int64_t older_than) {
  std::vector<std::string> out;
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return out;
    return fail_sys("open " + quote(dir));
  }
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return fail_sys("opendir " + quote(dir));
  }
  std::vector<std::string> names;
  while (auto* ent = ::readdir(d)) {
    std::string name = ent->d_name;
    if (name != "." && name != ".." && name.starts_with(prefix)) names.push_back(std::move(name));
  }
  for (const auto& name : names) {
    int entry = ::openat(::dirfd(d), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (entry < 0) continue;
    unique_fd owned(entry);
    struct stat st;
    if (::fstat(entry, &st) < 0 || st.st_mtime >= older_than) continue;
    if (::flock(entry, LOCK_EX | LOCK_NB) < 0) continue;
    out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

Result<uint64_t> remove(const std::string& dir, const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    return fail_msg("remove leftover " + quote(name) + ": not a name in " + quote(dir));
  const std::string shown = fs::join(dir, name);
  auto dir_fd = BERTH_TRY(sys::open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  auto fd = sys::openat(dir_fd.get(), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  if (!fd) {
    if (fd.error().errno_value == ENOENT) return uint64_t{0};
    return fail(fd.error());
  }
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) < 0) return uint64_t{0};
  struct stat st;
  if (::fstat(fd->get(), &st) < 0) return fail_sys("stat " + quote(shown));
  uint64_t bytes = 0;
  if (S_ISDIR(st.st_mode)) {
    if (auto b = dir_tree::regular_bytes(dir_fd.get(), name, shown)) bytes = *b;
  } else if (S_ISREG(st.st_mode)) {
    bytes = static_cast<uint64_t>(st.st_size);
  }
  BERTH_CHECK(dir_tree::remove(dir_fd.get(), name, shown));
  return bytes;
}

}  // namespace berth::image::leftovers
