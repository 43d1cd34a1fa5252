#include "cli/berth/container_attach.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "engine/attach_session.hpp"
#include "runtime/container.hpp"

namespace berth::cli {
namespace {

// Our terminal in raw mode while attached to a container's terminal, restored on the way out.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    raw.c_oflag = saved_.c_oflag;  // keep output processing: the container's pty does its own
    active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
  }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

void send_size(engine::AttachSession& session) {
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
    (void)session.resize(ws.ws_row, ws.ws_col);
}

}  // namespace

Result<engine::AttachSession> connect_to_container(engine::ContainerService& service,
                                                   const engine::ContainerRecord& record,
                                                   const AttachOptions& options) {
  monitor::AttachHello hello;
  hello.stdin_ = options.stdin_;
  hello.stdout_ = hello.stderr_ = true;
  hello.cleanup = options.cleanup;
  return engine::AttachSession::connect(service.paths_of(record.id).run_dir, hello);
}

Result<int> attach_to_container(engine::ContainerService& service,
                                const engine::ContainerRecord& record, pid_t pid,
                                const AttachOptions& options) {
  auto session = BERTH_TRY(connect_to_container(service, record, options));
  return pump_container(service, record, pid, session, options);
}

Result<int> pump_container(engine::ContainerService& service, const engine::ContainerRecord& record,
                           pid_t pid, engine::AttachSession& session,
                           const AttachOptions& options) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGWINCH);
  if (options.proxy_signals && !options.tty)
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&set, sig);
  sigset_t old;
  ::sigprocmask(SIG_BLOCK, &set, &old);
  int sfd = ::signalfd(-1, &set, SFD_CLOEXEC);

  bool terminal = options.tty && ::isatty(STDIN_FILENO);
  std::optional<RawTerminal> raw;
  if (terminal) {
    raw.emplace(STDIN_FILENO);
    send_size(session);
  }
  engine::AttachSession::Io io;
  io.in = options.stdin_ ? STDIN_FILENO : -1;
  io.signal_fd = sfd;
  io.on_signal = [&](int sig) {
    if (sig == SIGWINCH) {
      if (options.tty) send_size(session);
      return;
    }
    ::kill(pid, sig);
  };
  auto code = session.pump(io);
  raw.reset();
  if (sfd >= 0) ::close(sfd);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (options.cleanup) {
    auto done = service.cleanup(record.id);
    if (!done && code) return fail(done.error());
  }
  return code;
}

}  // namespace berth::cli
