#include "monitor/supervise/attach_clients.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "base/syscalls.hpp"
#include "monitor/monitor_config.hpp"

namespace berth::monitor {

Status AttachClients::listen(const std::string& run_dir) {
  std::string path = attach_socket_path(run_dir);
  auto dir = BERTH_TRY(sys::open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC));
  std::string short_path = attach_socket_short_path(dir.get());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, short_path.c_str(), short_path.size() + 1);
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail_sys("socket for " + quote(path));
  ::unlink(path.c_str());
  // Only the owner may attach: the umask makes the socket 0600 as it is created.
  mode_t old = ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  if (rc < 0) return fail_sys("bind " + quote(path));
  if (::listen(fd.get(), 16) < 0) return fail_sys("listen " + quote(path));
  listener_ = std::move(fd);
  return {};
}

void AttachClients::add_poll_fds(std::vector<pollfd>& fds) const {
  for (const auto& c : clients_) fds.push_back({c.fd.get(), POLLIN, 0});
}

void AttachClients::accept_one() {
  int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  clients_.push_back(Client{unique_fd(fd), {}, false, {}});
}

ClientInput AttachClients::read_client(size_t i) {
  ClientInput in;
  Client& c = clients_[i];
  char buf[16384];
  ssize_t n = ::read(c.fd.get(), buf, sizeof(buf));
  if (n <= 0) {
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return in;
    if (c.hello.stdin_) in.stdin_closed = true;
    c.fd.reset();
    drop_closed();
    return in;
  }
  c.reader.feed({buf, static_cast<size_t>(n)});
  while (true) {
    auto frame = c.reader.next();
    if (!frame) {
      c.fd.reset();
      break;
    }
    if (!*frame) break;
    auto& f = **frame;
    switch (f.type) {
      case FrameType::hello:
        c.said_hello = true;
        c.hello = decode_hello(f.payload);
        break;
      case FrameType::stdin_data:
        if (c.hello.stdin_) in.stdin_data += f.payload;
        break;
      case FrameType::stdin_close:
        if (c.hello.stdin_) in.stdin_closed = true;
        break;
      case FrameType::resize: {
        unsigned rows = 0, cols = 0;
        if (std::sscanf(f.payload.c_str(), "%u %u", &rows, &cols) == 2) {
          in.resized = true;
          in.rows = static_cast<unsigned short>(rows);
          in.cols = static_cast<unsigned short>(cols);
        }
        break;
      }
      default:
        break;
    }
  }
  drop_closed();
  return in;
}

bool AttachClients::any_said_hello() const {
  for (const auto& c : clients_)
    if (c.said_hello) return true;
  return false;
}

bool AttachClients::send(Client& c, FrameType type, std::string_view payload) {
  if (!c.fd) return false;
  // Clients are our own CLI and API server, which read at once: a blocking write keeps the order
  // of the streams without buffers of our own. SIGPIPE is ignored: a gone client is EPIPE.
  if (!write_frame(c.fd.get(), type, payload)) {
    c.fd.reset();
    return false;
  }
  return true;
}

void AttachClients::send_output(FrameType stream, std::string_view data) {
  for (auto& c : clients_) {
    bool wanted = stream == FrameType::stdout_data ? c.hello.stdout_ : c.hello.stderr_;
    if (c.said_hello && wanted) send(c, stream, data);
  }
  drop_closed();
}

bool AttachClients::send_exit(int exit_code) {
  bool cleaned_by_client = false;
  for (auto& c : clients_)
    if (send(c, FrameType::exit, std::to_string(exit_code)) && c.hello.cleanup)
      cleaned_by_client = true;
  drop_closed();
  return cleaned_by_client;
}

void AttachClients::send_error(const std::string& message) {
  for (auto& c : clients_) send(c, FrameType::error, message);
  drop_closed();
}

void AttachClients::drop_closed() {
  std::erase_if(clients_, [](const Client& c) { return !c.fd; });
}

}  // namespace berth::monitor
