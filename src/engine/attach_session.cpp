#include "engine/attach_session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "base/syscalls.hpp"
#include "base/unix_socket.hpp"
#include "monitor/monitor_config.hpp"

namespace berth::engine {

using monitor::FrameType;

Result<AttachSession> AttachSession::connect(const std::string& run_dir,
                                             const monitor::AttachHello& hello) {
  AttachSession s;
  auto dir = BERTH_TRY(sys::open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC));
  s.fd_ = BERTH_TRY(unix_socket::connect(monitor::attach_socket_short_path(dir.get()),
                                         "attach socket of " + run_dir));
  BERTH_CHECK(monitor::write_frame(s.fd_.get(), FrameType::hello, monitor::encode_hello(hello)));
  return s;
}

Status AttachSession::resize(unsigned short rows, unsigned short cols) {
  return monitor::write_frame(fd_.get(), FrameType::resize,
                              std::to_string(rows) + " " + std::to_string(cols));
}

Result<int> AttachSession::pump(const Io& io) {
  monitor::FrameReader reader;
  bool stdin_open = io.in >= 0;
  char buf[32768];
  for (;;) {
    pollfd fds[3] = {
        {fd_.get(), POLLIN, 0}, {stdin_open ? io.in : -1, POLLIN, 0}, {io.signal_fd, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_sys("poll the attach socket");
    }
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo si;
      if (::read(io.signal_fd, &si, sizeof(si)) == sizeof(si) && io.on_signal)
        io.on_signal(static_cast<int>(si.ssi_signo));
    }
    if (fds[1].revents) {
      ssize_t n = ::read(io.in, buf, sizeof(buf));
      if (n > 0) {
        BERTH_CHECK(monitor::write_frame(fd_.get(), FrameType::stdin_data,
                                         std::string_view(buf, static_cast<size_t>(n))));
      } else if (n == 0 || errno != EINTR) {
        stdin_open = false;
        BERTH_CHECK(monitor::write_frame(fd_.get(), FrameType::stdin_close, ""));
      }
    }
    if (!fds[0].revents) continue;
    ssize_t n = ::read(fd_.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail_msg("the container's monitor closed the attach socket");
    reader.feed({buf, static_cast<size_t>(n)});
    while (auto frame = BERTH_TRY(reader.next())) {
      switch (frame->type) {
        case FrameType::stdout_data:
          (void)sys::write_all(io.out, frame->payload);
          break;
        case FrameType::stderr_data:
          (void)sys::write_all(io.err, frame->payload);
          break;
        case FrameType::exit:
          return std::stoi(frame->payload);
        case FrameType::error:
          return fail_msg(frame->payload);
        default:
          break;
      }
    }
  }
}

}  // namespace berth::engine
