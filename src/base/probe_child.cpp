#include "base/probe_child.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "base/unique_fd.hpp"

namespace berth::probe {
namespace {

// Sent through the pipe. step points at a string literal, at the same address in the parent,
// since the child is a fork of it.
struct Report {
  const char* step;
  int errno_value;
};

Failure drop_to(const Identity& as) {
  if (::setgroups(0, nullptr) < 0) return failed("setgroups");
  if (::setresgid(as.gid, as.gid, as.gid) < 0) return failed("setresgid");
  if (::setresuid(as.uid, as.uid, as.uid) < 0) return failed("setresuid");
  // A change of credentials clears the dumpable flag, and /proc/self would then belong to root:
  // the child could not write its own uid_map.
  if (::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) return failed("prctl PR_SET_DUMPABLE");
  return {};
}

}  // namespace

Failure failed(const char* step) {
  return {step, errno};
}

Status in_child(std::optional<Identity> as, const std::function<Failure()>& body) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return fail_sys("pipe for a probe");
  unique_fd read_end(p[0]), write_end(p[1]);
  pid_t pid = ::fork();
  if (pid < 0) return fail_sys("fork a probe");
  if (pid == 0) {
    Failure f = as ? drop_to(*as) : Failure{};
    if (f.step == nullptr) f = body();
    if (f.step == nullptr) ::_exit(0);
    Report r{f.step, f.errno_value};
    (void)!::write(write_end.get(), &r, sizeof r);
    ::_exit(1);
  }
  write_end.reset();
  Report r{nullptr, 0};
  ssize_t n;
  while ((n = ::read(read_end.get(), &r, sizeof r)) < 0 && errno == EINTR) {
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (n == static_cast<ssize_t>(sizeof r) && r.step != nullptr)
    return fail(sys_error(r.errno_value, r.step));
  if (WIFSIGNALED(status))
    return fail_msg(std::string("probe killed by signal ") + ::strsignal(WTERMSIG(status)));
  return fail_msg("probe exited with status " + std::to_string(WEXITSTATUS(status)));
}

}  // namespace berth::probe
