#include <sys/stat.h>

#include <cstdio>

#include "engine/rootless_check.hpp"

namespace berth::engine {
namespace {

std::string session_fix(const std::string& user, uid_t uid) {
  return "log in through a session (pam_systemd sets it), or sudo loginctl enable-linger " + user +
         " and export XDG_RUNTIME_DIR=/run/user/" + std::to_string(uid);
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

CheckResult check_xdg_runtime_dir(const std::optional<std::string>& dir, const std::string& user,
                                  uid_t uid) {
  CheckResult r{"XDG_RUNTIME_DIR", false, "", ""};
  if (!dir || dir->empty()) {
    r.detail = "not set";
    r.fix = session_fix(user, uid);
    return r;
  }
  if ((*dir)[0] != '/') {
    r.detail = quote(*dir) + " is not an absolute path";
    r.fix = session_fix(user, uid);
    return r;
  }
  struct stat st;
  if (::lstat(dir->c_str(), &st) < 0) {
    r.detail = sys_error("lstat " + quote(*dir)).what();
    r.fix = session_fix(user, uid);
    return r;
  }
  if (!S_ISDIR(st.st_mode)) {
    r.detail = *dir + " is not a directory";
    r.fix = session_fix(user, uid);
    return r;
  }
  if (st.st_uid != uid) {
    r.detail = *dir + " belongs to uid " + std::to_string(st.st_uid) + ", not to " + user;
    r.fix = session_fix(user, uid);
    return r;
  }
  if ((st.st_mode & 07777) != 0700) {
    r.detail = *dir + " has mode " + octal_mode(st.st_mode) + ", not 0700";
    r.fix = "chmod 0700 " + *dir;
    return r;
  }
  r.ok = true;
  r.detail = *dir + ", " + user + "'s, mode 0700";
  return r;
}

}  // namespace berth::engine
