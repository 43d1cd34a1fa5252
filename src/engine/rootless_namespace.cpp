#include "engine/rootless_namespace.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "base/unique_fd.hpp"
#include "engine/monitor_launch.hpp"
#include "engine/paths.hpp"
#include "engine/subordinate_ids.hpp"
#include "runtime/id_mappings.hpp"
#include "runtime/state.hpp"

namespace berth::engine {
namespace {

std::string user_name(uid_t uid) {
  struct passwd* pw = ::getpwuid(uid);
  return pw != nullptr && pw->pw_name != nullptr ? pw->pw_name : std::to_string(uid);
}

// The user's namespace, when its holder still runs: joined. false when there is none to join.
Result<bool> join_held_namespace(const std::string& pid_file) {
  auto text = fs::read_file(pid_file);
  if (!text) return false;
  std::istringstream in(*text);
  pid_t pid = 0;
  unsigned long long start = 0;
  if (!(in >> pid >> start) || pid <= 0 || runtime::process_start_time(pid) != start) return false;
  int fd = ::open(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  unique_fd ns(fd);
  if (::setns(ns.get(), CLONE_NEWUSER) < 0) return false;  // not ours any more
  return true;
}

// berth-monitor --hold-user-namespace, in its own session, keeps the namespace for later commands.
Status spawn_holder(const std::string& pid_file) {
  std::string monitor = BERTH_TRY(sibling_binary("berth-monitor"));
  pid_t pid = ::fork();
  if (pid < 0) return fail_sys("fork the user namespace's holder");
  if (pid == 0) {
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    ::close_range(3, ~0U, 0);
    const char* argv[] = {"berth-monitor", "--hold-user-namespace", nullptr};
    ::execv(monitor.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  std::string line =
      std::to_string(pid) + " " + std::to_string(runtime::process_start_time(pid)) + "\n";
  return fs::write_file_atomic(pid_file, line, 0600);
}

Status become_root() {
  if (::setresgid(0, 0, 0) < 0) return fail_sys("setresgid 0 in the user namespace");
  if (::setresuid(0, 0, 0) < 0) return fail_sys("setresuid 0 in the user namespace");
  ::setgroups(0, nullptr);  // supplementary groups show as nobody inside anyway
  return {};
}

}  // namespace

Result<bool> enter_rootless_user_namespace(const std::string& exec_root) {
  if (in_user_namespace()) return true;
  BERTH_CHECK(fs::mkdir_p(exec_root, 0700));
  std::string lock_path = exec_root + "/userns.lock";
  auto lock = BERTH_TRY(sys::open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  while (::flock(lock.get(), LOCK_EX) < 0)
    if (errno != EINTR) return fail_sys("lock " + quote(lock_path));
  const std::string pid_file = exec_root + "/userns.pid";
  if (BERTH_TRY(join_held_namespace(pid_file))) {
    BERTH_CHECK(become_root());
    return true;
  }

  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  const std::string name = user_name(uid);
  auto uid_ranges = BERTH_TRY(subordinate_ranges("/etc/subuid", name, uid));
  auto gid_ranges = BERTH_TRY(subordinate_ranges("/etc/subgid", name, uid));
  if (uid_ranges.empty() || gid_ranges.empty()) return false;
  auto uids = rootless_id_map(uid, uid_ranges);
  auto gids = rootless_id_map(gid, gid_ranges);

  // newuidmap must run outside the namespace it maps: a child forked first waits until this
  // process has unshared, maps it, and exits with the result.
  int go[2];
  if (::pipe2(go, O_CLOEXEC) < 0) return fail_sys("pipe for the user namespace");
  unique_fd go_read(go[0]), go_write(go[1]);
  const pid_t self = ::getpid();
  pid_t helper = ::fork();
  if (helper < 0) return fail_sys("fork the id-mapping helper");
  if (helper == 0) {
    go_write.reset();
    char byte;
    if (::read(go_read.get(), &byte, 1) != 1) ::_exit(2);
    auto mapped = runtime::write_id_mappings(self, uids, gids);
    if (!mapped) {
      std::string msg = mapped.error().what() + "\n";
      (void)!::write(STDERR_FILENO, msg.data(), msg.size());
      ::_exit(1);
    }
    ::_exit(0);
  }
  go_read.reset();
  Status unshared = {};
  if (::unshare(CLONE_NEWUSER) < 0) unshared = fail_sys("unshare a user namespace");
  char byte = unshared ? 1 : 0;
  if (!unshared)
    go_write.reset();  // the helper reads EOF and exits
  else if (::write(go_write.get(), &byte, 1) != 1)
    unshared = fail_sys("wake the id-mapping helper");
  int status = 0;
  while (::waitpid(helper, &status, 0) < 0 && errno == EINTR) {
  }
  BERTH_CHECK(unshared);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail_msg("map the subordinate ids of " + name +
                    " into a user namespace: newuidmap/newgidmap failed (see above)");
  BERTH_CHECK(become_root());
  BERTH_CHECK(spawn_holder(pid_file));
  return true;
}

}  // namespace berth::engine
