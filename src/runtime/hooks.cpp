#include "runtime/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/syscalls.hpp"

namespace berth::runtime {

namespace {

Status run_hook(const Hook& hook, const std::string& kind, const std::string& state_json) {
  const std::string name = kind + " hook " + quote(hook.path);
  int in[2];
  if (::pipe2(in, O_CLOEXEC) < 0) return fail_sys("pipe for " + name);
  unique_fd read_end(in[0]), write_end(in[1]);

  std::vector<std::string> args =
      hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = hook.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int pidfd = -1;
  auto pid = sys::clone3(0, &pidfd);
  if (!pid) return fail(pid.error().wrap(name));
  if (*pid == 0) {
    ::dup2(read_end.get(), 0);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  unique_fd child_fd(pidfd);
  read_end.reset();
  // A hook that does not read its stdin must not block us: the state fits in the pipe buffer.
  ::signal(SIGPIPE, SIG_IGN);
  (void)sys::write_all(write_end.get(), state_json);
  write_end.reset();

  struct pollfd p = {child_fd.get(), POLLIN, 0};
  int timeout_ms = hook.timeout ? *hook.timeout * 1000 : -1;
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  bool timed_out = r == 0;
  if (timed_out) (void)sys::pidfd_send_signal(child_fd.get(), SIGKILL);
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return fail_msg(name + ": timed out after " + std::to_string(*hook.timeout) + "s");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return fail_msg(name + ": cannot execute (exit status 127)");
  if (WIFSIGNALED(status))
    return fail_msg(name + ": killed by signal " + std::to_string(WTERMSIG(status)));
  if (WEXITSTATUS(status) != 0)
    return fail_msg(name + ": exit status " + std::to_string(WEXITSTATUS(status)));
  return {};
}

}  // namespace

Status run_hooks(const std::vector<Hook>& hooks, const std::string& kind,
                 const std::string& state_json) {
  for (const auto& hook : hooks) BERTH_CHECK(run_hook(hook, kind, state_json));
  return {};
}

}  // namespace berth::runtime
