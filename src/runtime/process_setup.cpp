#include "runtime/process_setup.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/root_path.hpp"
#include "base/syscalls.hpp"
#include "base/unix_socket.hpp"
#include "runtime/exe_protection.hpp"
#include "runtime/personality.hpp"
#include "runtime/seccomp_cache.hpp"

namespace berth::runtime {

Result<PreparedProcess> prepare_process(const Process& process, const Linux& linux_config,
                                        const std::string& seccomp_cache_dir) {
  PreparedProcess p;
  p.process = process;
  if (process.capabilities) p.caps = BERTH_TRY(resolve_capabilities(*process.capabilities));
  p.rlimits = BERTH_TRY(resolve_rlimits(process.rlimits));
  if (linux_config.seccomp) {
    p.seccomp = BERTH_TRY(compile_seccomp_cached(*linux_config.seccomp, seccomp_cache_dir));
    p.seccomp_listener_path = linux_config.seccomp->listener_path;
    if (p.seccomp->needs_listener && p.seccomp_listener_path.empty())
      return fail_msg("linux.seccomp.listenerPath: required by an SCMP_ACT_NOTIFY rule");
  }
  if (linux_config.personality)
    p.personality = BERTH_TRY(resolve_personality(*linux_config.personality));
  return p;
}

namespace {

std::string env_value(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=')
      return e.substr(key.size() + 1);
  return {};
}

// The home of uid in the container's /etc/passwd, as runc sets HOME when the spec has none.
std::string home_directory(uint32_t uid) {
  FILE* f = std::fopen("/etc/passwd", "re");
  if (f == nullptr) return "/";
  std::string home = "/";
  char line[1024];
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    // name:password:uid:gid:gecos:home:shell
    std::string fields[7];
    size_t n = 0;
    for (char* p = line; n < 7; ++p) {
      if (*p == ':' || *p == '\n' || *p == '\0') {
        ++n;
        if (*p != ':') break;
      } else {
        fields[n] += *p;
      }
    }
    if (n >= 6 && fields[2] == std::to_string(uid) && !fields[5].empty()) {
      home = fields[5];
      break;
    }
  }
  std::fclose(f);
  return home;
}

bool executable_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

Result<std::string> find_executable(const Process& process) {
  const std::string& name = process.args[0];
  if (name.find('/') != std::string::npos) {
    struct stat st;
    if (::stat(name.c_str(), &st) < 0) return fail_sys("exec " + quote(name));
    if (S_ISDIR(st.st_mode))
      return fail(sys_error(EACCES, "exec " + quote(name) + ": is a directory"));
    // As execve would: refused now, so that `create` fails instead of the container.
    if (!S_ISREG(st.st_mode) || ::access(name.c_str(), X_OK) < 0)
      return fail(sys_error(EACCES, "exec " + quote(name)));
    return name;
  }
  std::string path = env_value(process.env, "PATH");
  if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (executable_file(candidate)) return candidate;
    start = end + 1;
  }
  return fail(sys_error(ENOENT, "exec: " + quote(name) + ": executable file not found in $PATH"));
}

Status enter_cwd(const std::string& cwd) {
  if (::chdir(cwd.c_str()) < 0) {
    if (errno != ENOENT) return fail_sys("chdir to cwd " + quote(cwd));
    auto root = BERTH_TRY(sys::open("/", O_PATH | O_DIRECTORY));
    BERTH_TRY(root_path::mkdir_all(root.get(), cwd, 0755));
    if (::chdir(cwd.c_str()) < 0) return fail_sys("chdir to cwd " + quote(cwd));
  }
  // A cwd reached through an fd of the host would print as unreachable: refuse it.
  char buf[4096];
  if (::getcwd(buf, sizeof(buf)) == nullptr || buf[0] != '/')
    return fail_msg("cwd " + quote(cwd) + " is outside the container root");
  return {};
}

namespace {

Status load_filter(const PreparedProcess& p, const FinalizeOptions& options) {
  int listener = BERTH_TRY(load_seccomp(*p.seccomp));
  if (listener >= 0) {
    unique_fd owned(listener);
    auto sock = BERTH_TRY(unix_socket::connect(p.seccomp_listener_path, "seccomp listener"));
    BERTH_CHECK(unix_socket::send_fd(sock.get(), listener, options.container_state_json,
                                     "seccomp listener"));
  }
  return {};
}

Status switch_user(const User& user, bool setgroups_allowed) {
  if (setgroups_allowed) {
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    // A joined user namespace may deny setgroups: then nothing can be dropped or added anyway.
    if (::setgroups(groups.size(), groups.data()) < 0 && !(errno == EPERM && groups.empty()))
      return fail_sys("setgroups");
  } else if (!user.additional_gids.empty()) {
    return fail_msg("process.user.additionalGids: setgroups is denied in this user namespace");
  }
  if (::setresgid(user.gid, user.gid, user.gid) < 0)
    return fail_sys("setresgid " + std::to_string(user.gid));
  if (::setresuid(user.uid, user.uid, user.uid) < 0)
    return fail_sys("setresuid " + std::to_string(user.uid));
  return {};
}

Status apply_all(const PreparedProcess& p, const FinalizeOptions& options) {
  const Process& proc = p.process;
  BERTH_CHECK(apply_rlimits(p.rlimits));
  if (p.caps) BERTH_CHECK(drop_bounding_set(*p.caps));
  // Without no_new_privs the filter must go in while CAP_SYS_ADMIN is still held.
  if (p.seccomp && !proc.no_new_privileges) BERTH_CHECK(load_filter(p, options));
  if (p.caps && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return fail_sys("prctl PR_SET_KEEPCAPS");
  BERTH_CHECK(switch_user(proc.user, options.setgroups_allowed));
  if (p.caps) BERTH_CHECK(apply_capabilities(*p.caps));
  if (proc.user.umask) ::umask(static_cast<mode_t>(*proc.user.umask));
  if (p.personality) BERTH_CHECK(apply_personality(*p.personality));
  if (proc.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return fail_sys("prctl PR_SET_NO_NEW_PRIVS");
  if (p.seccomp && proc.no_new_privileges) BERTH_CHECK(load_filter(p, options));
  return {};
}

}  // namespace

std::vector<std::string> process_environment(const Process& process) {
  std::vector<std::string> env = process.env;
  if (env_value(env, "HOME").empty()) env.push_back("HOME=" + home_directory(process.user.uid));
  return env;
}

Status apply_process_security(const PreparedProcess& prepared, const FinalizeOptions& options) {
  // No fd of the runtime may reach the container (CVE-2024-21626): all but stdio and the
  // preserved ones close on exec. Done first, while seccomp still lets close_range through.
  unsigned first = 3 + static_cast<unsigned>(options.preserve_fds);
  if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    if (errno != ENOSYS) return fail_sys("close_range");
    for (int fd = static_cast<int>(first); fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  for (int fd = 3; fd < static_cast<int>(first); ++fd) ::fcntl(fd, F_SETFD, 0);
  return apply_all(prepared, options);
}

Error exec_process(const Process& process, const std::string& executable,
                   const std::vector<std::string>& environment, int stub_fd) {
  std::vector<char*> argv, envp;
  std::vector<std::string> args = process.args, env = environment;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  // A change of uid made us dumpable again where fs.suid_dumpable is 1.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return exec_via_stub(stub_fd, executable, argv.data(), envp.data());
}

}  // namespace berth::runtime
