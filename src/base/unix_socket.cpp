#include "base/unix_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace berth::unix_socket {

Result<unique_fd> connect(const std::string& path, const std::string& what) {
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_sys("socket for " + what);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path))
    return fail_msg(what + " path too long: " + quote(path));
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  int r;
  do {
    r = ::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
  } while (r < 0 && errno == EINTR);
  if (r < 0) return fail_sys("connect " + what + " " + quote(path));
  return fd;
}

Status send_fd(int sock, int fd, const std::string& payload, const std::string& what) {
  struct iovec iov = {const_cast<char*>(payload.data()), payload.size()};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  do {
    n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_sys("send fd to " + what);
  return {};
}

Result<unique_fd> receive_fd(int sock, const std::string& what, std::string* payload) {
  char buf[4096];
  struct iovec iov = {buf, sizeof(buf)};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_sys("receive fd from " + what);
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
    return fail_msg("receive fd from " + what + ": no fd in the message");
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
  if (payload != nullptr) payload->assign(buf, static_cast<size_t>(n));
  return unique_fd(fd);
}

}  // namespace berth::unix_socket
