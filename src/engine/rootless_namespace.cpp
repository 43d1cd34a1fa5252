#include "engine/rootless_namespace.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/unique_fd.hpp"
#include "engine/subordinate_ids.hpp"
#include "runtime/id_mappings.hpp"

namespace berth::engine {
namespace {

std::string user_name(uid_t uid) {
  struct passwd* pw = ::getpwuid(uid);
  return pw != nullptr && pw->pw_name != nullptr ? pw->pw_name : std::to_string(uid);
}

}  // namespace

Result<bool> enter_rootless_user_namespace() {
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
  if (::setresgid(0, 0, 0) < 0) return fail_sys("setresgid 0 in the user namespace");
  if (::setresuid(0, 0, 0) < 0) return fail_sys("setresuid 0 in the user namespace");
  ::setgroups(0, nullptr);  // supplementary groups show as nobody inside anyway
  return true;
}

}  // namespace berth::engine
