/* berth-init: PID 1 of a container started with --init (bound at /sbin/docker-init).
 *
 *   berth-init -- COMMAND [ARG...]
 *
 * Starts COMMAND as its only child, forwards every signal it receives to it, reaps every process
 * that ends up its child (orphans are re-parented to PID 1), and exits with COMMAND's status:
 * its exit code, or 128 + the signal that killed it. COMMAND that cannot be run exits 127 (not
 * found) or 126 (found, not executable), as a shell does. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* Signals the kernel raises for a fault of the process itself: never blocked, never forwarded. */
static int synchronous(int sig) {
  return sig == SIGFPE || sig == SIGILL || sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT ||
         sig == SIGTRAP || sig == SIGSYS;
}

static void fill_forwarded(sigset_t* set) {
  sigfillset(set);
  for (int sig = 1; sig < NSIG; ++sig)
    if (synchronous(sig)) sigdelset(set, sig);
  /* Background-tty signals would stop PID 1 itself. */
  sigdelset(set, SIGTTIN);
  sigdelset(set, SIGTTOU);
}

static pid_t spawn(char** argv, const sigset_t* parent_mask) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  /* The child gets a process group of its own and, on a terminal, the foreground: Ctrl-C reaches
   * it directly and exactly once. */
  setpgid(0, 0);
  if (isatty(STDIN_FILENO)) {
    signal(SIGTTOU, SIG_IGN);
    tcsetpgrp(STDIN_FILENO, getpid());
    signal(SIGTTOU, SIG_DFL);
  }
  sigprocmask(SIG_SETMASK, parent_mask, NULL);
  execvp(argv[0], argv);
  int err = errno;
  fprintf(stderr, "berth-init: exec %s: %s\n", argv[0], strerror(err));
  _exit(err == ENOENT ? 127 : 126);
}

static int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

/* Reaps every child that has exited; returns the status of `child` once it has, else -1. */
static int reap(pid_t child) {
  int result = -1;
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    if (pid == child) result = exit_status(status);
  }
  return result;
}

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    fprintf(stderr, "usage: berth-init -- COMMAND [ARG...]\n");
    return 2;
  }
  /* Not PID 1 (--pid host): orphans would go elsewhere, so claim them. */
  if (getpid() != 1) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  sigset_t forwarded, previous;
  fill_forwarded(&forwarded);
  sigprocmask(SIG_BLOCK, &forwarded, &previous);

  pid_t child = spawn(argv + first, &previous);
  if (child < 0) {
    fprintf(stderr, "berth-init: fork: %s\n", strerror(errno));
    return 1;
  }
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&forwarded, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "berth-init: sigwaitinfo: %s\n", strerror(errno));
      return 1;
    }
    if (sig == SIGCHLD) {
      int status = reap(child);
      if (status >= 0) {
        /* Grandchildren that are already gone are reaped too before PID 1 leaves. */
        reap(child);
        return status;
      }
      continue;
    }
    if (kill(child, sig) < 0 && errno != ESRCH)
      fprintf(stderr, "berth-init: forward signal %d: %s\n", sig, strerror(errno));
  }
}
