#pragma once

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

// Runs fn in a forked child, which exits with fn's return value; returns the child's wait status.
// For tests that change per-process state (limits, capabilities, seccomp) without touching the
// test runner. The child must not use gtest assertions.
template <typename F>
int run_in_child(F&& fn) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  // exit_group directly: no exit hooks (sanitizers have some) that a seccomp filter under test
  // might refuse.
  if (pid == 0) ::syscall(SYS_exit_group, std::forward<F>(fn)());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

// "exited 0", "exited 3", "killed by signal 31": for assertion messages.
inline std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}
