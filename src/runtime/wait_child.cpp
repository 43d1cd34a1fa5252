#include "runtime/wait_child.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <initializer_list>

namespace berth::runtime {

BlockedSignals::BlockedSignals() {
  sigfillset(&set_);
  for (int sig :
       {SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGTRAP, SIGSYS, SIGKILL, SIGSTOP, SIGTTIN, SIGTTOU})
    sigdelset(&set_, sig);
  ::sigprocmask(SIG_BLOCK, &set_, &old_);
}

BlockedSignals::~BlockedSignals() {
  ::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

int BlockedSignals::forward_until_exit(pid_t pid) {
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      continue;
    }
    if (r < 0 && errno != EINTR) return 255;
    siginfo_t info;
    int sig = ::sigwaitinfo(&set_, &info);
    if (sig < 0 || sig == SIGCHLD) continue;
    if (sig == SIGWINCH || sig == SIGURG) continue;
    ::kill(pid, sig);
  }
}

}  // namespace berth::runtime
