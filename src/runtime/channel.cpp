#include "runtime/channel.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace berth::runtime {

namespace {

struct Header {
  Msg type;
  int32_t errno_value;
};

constexpr size_t kMaxPayload = 60 * 1024;
constexpr size_t kMaxFds = 64;

}  // namespace

Result<std::pair<Channel, Channel>> Channel::make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    return fail_sys("socketpair for the sync channel");
  return std::make_pair(Channel(unique_fd(fds[0])), Channel(unique_fd(fds[1])));
}

Status Channel::send(Msg type, const std::string& payload, const std::vector<int>& fds,
                     int errno_value) const {
  if (payload.size() > kMaxPayload) return fail_msg("sync channel: message too large");
  if (fds.size() > kMaxFds) return fail_msg("sync channel: too many fds");
  Header h{type, errno_value};
  struct iovec iov[2] = {{&h, sizeof(h)}, {const_cast<char*>(payload.data()), payload.size()}};
  struct msghdr msg = {};
  msg.msg_iov = iov;
  msg.msg_iovlen = payload.empty() ? 1 : 2;
  std::vector<char> control;
  if (!fds.empty()) {
    control.resize(CMSG_SPACE(sizeof(int) * fds.size()));
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  do {
    n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    if (err == EPIPE || err == ECONNRESET) {
      if (auto said = error_left_by_peer()) return fail(*said);
    }
    return fail(sys_error(err, "sync channel: send"));
  }
  return {};
}

std::optional<Error> Channel::error_left_by_peer() const {
  // A peer that fails sends its error and exits; the packets it sent stay queued for us.
  for (int i = 0; i < 8; ++i) {
    struct pollfd queued = {fd_.get(), POLLIN, 0};
    if (::poll(&queued, 1, 0) != 1 || !(queued.revents & POLLIN)) return std::nullopt;
    auto m = receive();
    if (!m) return std::nullopt;
    if (m->type == Msg::error) return Error{m->errno_value, m->payload};
  }
  return std::nullopt;
}

Status Channel::write_plain(Msg type) const {
  Header h{type, 0};
  ssize_t n;
  do {
    n = ::write(fd_.get(), &h, sizeof(h));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_sys("sync channel: write");
  return {};
}

Status Channel::send_error(const Error& e) const {
  return send(Msg::error, e.message, {}, e.errno_value);
}

Result<Message> Channel::receive() const {
  Header h{};
  std::string payload(kMaxPayload, '\0');
  struct iovec iov[2] = {{&h, sizeof(h)}, {payload.data(), payload.size()}};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  struct msghdr msg = {};
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_sys("sync channel: receive");
  if (n == 0) return fail(sys_error(EPIPE, "sync channel: peer closed"));
  if (static_cast<size_t>(n) < sizeof(h)) return fail_msg("sync channel: short message");
  Message m;
  m.type = h.type;
  m.errno_value = h.errno_value;
  payload.resize(static_cast<size_t>(n) - sizeof(h));
  m.payload = std::move(payload);
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      m.fds.emplace_back(fd);
    }
  }
  return m;
}

Result<Message> Channel::expect(Msg type) const {
  auto m = BERTH_TRY(receive());
  if (m.type == Msg::error) return fail(Error{m.errno_value, m.payload});
  if (m.type != type)
    return fail_msg("sync channel: unexpected message " + std::to_string(static_cast<int>(m.type)));
  return m;
}

Result<pid_t> reap_intermediate(const Channel& channel, pid_t intermediate,
                                const std::string& what) {
  int status = 0;
  while (::waitpid(intermediate, &status, 0) < 0 && errno == EINTR) {
  }
  struct pollfd word = {channel.fd(), POLLIN, 0};
  if (::poll(&word, 1, 0) != 1)
    return fail_msg(what + " ended without a word (wait status " + std::to_string(status) + ")");
  auto msg = BERTH_TRY(channel.expect(Msg::pid));
  pid_t pid = 0;
  const char* digits = msg.payload.data();
  const char* digits_end = digits + msg.payload.size();
  auto [end, ec] = std::from_chars(digits, digits_end, pid);
  if (ec != std::errc() || end != digits_end || pid <= 0)
    return fail_msg("sync channel: bad pid message " + quote(msg.payload));
  return pid;
}

}  // namespace berth::runtime
