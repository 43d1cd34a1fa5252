#include "image/overlay_mount.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "base/unique_fd.hpp"

namespace berth::image::overlay_mount {

namespace {

// The kernel copies mount(2)'s data into one page, its last byte a NUL.
constexpr size_t kMaxData = 4095;

std::string join_options(const std::vector<std::string>& options) {
  std::string data;
  for (const auto& o : options) {
    if (!data.empty()) data += ',';
    data += o;
  }
  return data;
}

std::string lowerdir(const std::vector<std::string>& lowers) {
  std::string s;
  for (const auto& l : lowers) {
    if (!s.empty()) s += ':';
    s += l;
  }
  return s;
}

// The mount option parser splits at ',' and the lowerdir list at ':'.
bool fits_options(const Spec& spec) {
  auto plain = [](const std::string& p) { return p.find_first_of(",:\\") == std::string::npos; };
  for (const auto& l : spec.lowers)
    if (!plain(l)) return false;
  return plain(spec.upper) && plain(spec.work);
}

// What overlayfs wrote to the fs context's log: the reason behind an EINVAL.
std::string context_log(int fs_fd) {
  std::string log;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fs_fd, buf, sizeof(buf) - 1);
    if (n <= 0) break;
    if (!log.empty()) log += "; ";
    log.append(buf, static_cast<size_t>(n));
  }
  return log;
}

Error fs_error(int fs_fd, const std::string& what) {
  int err = errno;
  std::string log = context_log(fs_fd);
  return sys_error(err, what + (log.empty() ? "" : " (" + log + ")"));
}

std::string absolute(const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return fs::join(cwd, path);
}

}  // namespace

std::vector<std::string> options(const Spec& spec) {
  std::vector<std::string> out{"index=off", "lowerdir=" + lowerdir(spec.lowers)};
  if (!spec.upper.empty()) {
    out.push_back("upperdir=" + spec.upper);
    out.push_back("workdir=" + spec.work);
  }
  if (spec.userxattr) out.push_back("userxattr");
  return out;
}

Status mount_with_data(const Spec& spec, const std::string& target) {
  std::string data = join_options(options(spec));
  if (data.size() > kMaxData)
    return fail(sys_error(E2BIG, "mount overlay on " + quote(target) + ": options of " +
                                     std::to_string(data.size()) + " bytes"));
  if (::mount("overlay", target.c_str(), "overlay", 0, data.c_str()) < 0)
    return fail_sys("mount overlay on " + quote(target) + " (" + data + ")");
  return {};
}

Status mount_with_fsconfig(const Spec& spec, const std::string& target) {
  const std::string what = "mount overlay on " + quote(target);
  int raw = ::fsopen("overlay", FSOPEN_CLOEXEC);
  if (raw < 0) return fail_sys("fsopen overlay");
  unique_fd fs_fd(raw);
  auto set = [&](const char* key, const std::string& value) -> Status {
    if (::fsconfig(fs_fd.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) < 0)
      return fail(fs_error(fs_fd.get(), what + ": " + key + "=" + value));
    return {};
  };
  BERTH_CHECK(set("index", "off"));
  for (const auto& lower : spec.lowers) BERTH_CHECK(set("lowerdir+", lower));
  if (!spec.upper.empty()) {
    BERTH_CHECK(set("upperdir", spec.upper));
    BERTH_CHECK(set("workdir", spec.work));
  }
  if (spec.userxattr && ::fsconfig(fs_fd.get(), FSCONFIG_SET_FLAG, "userxattr", nullptr, 0) < 0)
    return fail(fs_error(fs_fd.get(), what + ": userxattr"));
  if (::fsconfig(fs_fd.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    return fail(fs_error(fs_fd.get(), what));
  int mnt = ::fsmount(fs_fd.get(), FSMOUNT_CLOEXEC, 0);
  if (mnt < 0) return fail(fs_error(fs_fd.get(), what + ": fsmount"));
  unique_fd mnt_fd(mnt);
  return sys::move_mount(mnt_fd.get(), "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
}

Status mount_with_links(const Spec& spec, const std::string& target, const std::string& links_dir) {
  BERTH_CHECK(fs::mkdir_p(links_dir, 0700));
  Spec relative = spec;
  for (size_t i = 0; i < spec.lowers.size(); ++i) {
    std::string name = std::to_string(i);
    std::string link = fs::join(links_dir, name);
    if (::symlink(spec.lowers[i].c_str(), link.c_str()) < 0) {
      if (errno != EEXIST) return fail_sys("symlink " + quote(link));
      char buf[4096];
      ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf));
      if (n < 0 || std::string(buf, static_cast<size_t>(n)) != spec.lowers[i]) {
        if (::unlink(link.c_str()) < 0 || ::symlink(spec.lowers[i].c_str(), link.c_str()) < 0)
          return fail_sys("symlink " + quote(link));
      }
    }
    relative.lowers[i] = name;
  }
  std::string data = join_options(options(relative));
  if (data.size() > kMaxData)
    return fail(sys_error(E2BIG, "mount overlay on " + quote(target) + ": options of " +
                                     std::to_string(data.size()) + " bytes"));
  // The relative names resolve against the working directory: a child changes its own, not
  // this (perhaps threaded) process's.
  std::string abs_target = absolute(target);
  pid_t pid = ::fork();
  if (pid < 0) return fail_sys("fork");
  if (pid == 0) {
    if (::chdir(links_dir.c_str()) < 0) ::_exit(errno);
    if (::mount("overlay", abs_target.c_str(), "overlay", 0, data.c_str()) < 0) ::_exit(errno);
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status)) return fail_msg("mount overlay on " + quote(target) + ": child died");
  if (WEXITSTATUS(status) != 0)
    return fail(sys_error(WEXITSTATUS(status), "mount overlay on " + quote(target) + " from " +
                                                   quote(links_dir) + " (" + data + ")"));
  return {};
}

Status mount(const Spec& spec, const std::string& target, const std::string& links_dir) {
  if (fits_options(spec) && join_options(options(spec)).size() <= kMaxData)
    return mount_with_data(spec, target);
  auto via_fsconfig = mount_with_fsconfig(spec, target);
  if (via_fsconfig) return via_fsconfig;
  // ENOSYS: no new mount API; EINVAL: no "lowerdir+" (before 6.8) or a path over fsconfig's
  // 256 bytes.
  int e = via_fsconfig.error().errno_value;
  if (e != EINVAL && e != ENOSYS && e != EOPNOTSUPP) return via_fsconfig;
  return mount_with_links(spec, target, links_dir);
}

}  // namespace berth::image::overlay_mount
