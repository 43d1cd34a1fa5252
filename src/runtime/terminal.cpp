#include "runtime/terminal.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "base/syscalls.hpp"
#include "runtime/devices.hpp"

namespace berth::runtime {

Result<unique_fd> connect_console_socket(const std::string& path) {
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_sys("socket for console socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path))
    return fail_msg("console socket path too long: " + quote(path));
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) < 0)
    return fail_sys("connect console socket " + quote(path));
  return fd;
}

Status setup_console(int console_socket, const std::optional<ConsoleSize>& size,
                     bool bind_dev_console) {
  auto master = BERTH_TRY(sys::open("/dev/ptmx", O_RDWR | O_NOCTTY));
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) return fail_sys("unlock pty");
  // TIOCGPTPEER opens the peer through the master, with no path lookup that could be raced.
  int peer = ::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (peer < 0) return fail_sys("open pty peer");
  unique_fd slave(peer);
  if (bind_dev_console) BERTH_CHECK(mount_console(slave.get()));
  if (size) {
    struct winsize ws = {};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (::ioctl(slave.get(), TIOCSWINSZ, &ws) < 0) return fail_sys("set console size");
  }
  char name[64] = "/dev/pts/?";
  int n = -1;
  if (::ioctl(master.get(), TIOCGPTN, &n) == 0) std::snprintf(name, sizeof(name), "/dev/pts/%d", n);

  struct iovec iov = {name, std::strlen(name)};
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
  int mfd = master.get();
  std::memcpy(CMSG_DATA(c), &mfd, sizeof(int));
  if (::sendmsg(console_socket, &msg, MSG_NOSIGNAL) < 0)
    return fail_sys("send pty to console socket");
  master.reset();

  if (::setsid() < 0) return fail_sys("setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) return fail_sys("set controlling terminal");
  for (int i = 0; i < 3; ++i)
    if (::dup2(slave.get(), i) < 0) return fail_sys("dup pty onto stdio");
  return {};
}

Result<unique_fd> receive_console_fd(int connected_socket) {
  char buf[256];
  struct iovec iov = {buf, sizeof(buf)};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(connected_socket, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_sys("receive pty from container");
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS)
    return fail_msg("receive pty from container: no fd");
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return unique_fd(fd);
}

}  // namespace berth::runtime
