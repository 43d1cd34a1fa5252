#include "runtime/terminal.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "base/syscalls.hpp"
#include "base/unix_socket.hpp"
#include "runtime/devices.hpp"

namespace berth::runtime {

Result<unique_fd> connect_console_socket(const std::string& path) {
  return unix_socket::connect(path, "console socket");
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

  BERTH_CHECK(unix_socket::send_fd(console_socket, master.get(), name, "console socket"));
  master.reset();

  if (::setsid() < 0) return fail_sys("setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) return fail_sys("set controlling terminal");
  for (int i = 0; i < 3; ++i)
    if (::dup2(slave.get(), i) < 0) return fail_sys("dup pty onto stdio");
  return {};
}

Result<unique_fd> receive_console_fd(int connected_socket) {
  return unix_socket::receive_fd(connected_socket, "container's console");
}

}  // namespace berth::runtime
