#include "runtime/terminal_proxy.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace berth::runtime {

namespace {

class RawMode {
 public:
  RawMode() {
    if (::tcgetattr(0, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (active_) ::tcsetattr(0, TCSANOW, &saved_);
  }

 private:
  struct termios saved_ {};
  bool active_ = false;
};

void copy_window_size(int master) {
  struct winsize ws;
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

// Moves what is readable on `from` to `to`; false on EOF or error.
bool pump(int from, int to) {
  char buf[8192];
  ssize_t n = ::read(from, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  for (ssize_t done = 0; done < n;) {
    ssize_t w = ::write(to, buf + done, static_cast<size_t>(n - done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += w;
  }
  return true;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace

int proxy_terminal_until_exit(pid_t pid, int master, const sigset_t& forwarded) {
  int sfd = ::signalfd(-1, &forwarded, SFD_CLOEXEC);
  RawMode raw;
  copy_window_size(master);
  bool stdin_open = true, master_open = true;
  for (;;) {
    struct pollfd fds[3] = {
        {sfd, POLLIN, 0}, {master_open ? master : -1, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (::read(sfd, &si, sizeof(si)) == sizeof(si)) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGWINCH) {
          copy_window_size(master);
        } else if (sig != SIGCHLD) {
          ::kill(pid, sig);
        }
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) master_open = pump(master, 1);
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) stdin_open = pump(0, master);
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      // Drain what the process wrote before it exited.
      while (master_open && pump(master, 1)) {
        struct pollfd p = {master, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) break;
      }
      if (sfd >= 0) ::close(sfd);
      return exit_code(status);
    }
    if (r < 0 && errno != EINTR) break;
  }
  if (sfd >= 0) ::close(sfd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exit_code(status);
}

}  // namespace berth::runtime
