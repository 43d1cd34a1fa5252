#include "monitor/supervise/container_stdio.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "base/syscalls.hpp"

namespace berth::monitor {
namespace {

Result<std::pair<unique_fd, unique_fd>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return fail_sys("pipe2 for the container's stdio");
  return std::pair{unique_fd(fds[0]), unique_fd(fds[1])};
}

Status put_on(int fd, int target) {
  if (::dup2(fd, target) < 0) return fail_sys("dup2 onto fd " + std::to_string(target));
  return {};
}

Status null_on(int target) {
  auto null = BERTH_TRY(sys::open("/dev/null", O_RDWR | O_CLOEXEC));
  return put_on(null.get(), target);
}

}  // namespace

Result<StdioForCreate> StdioForCreate::make(bool open_stdin, bool tty) {
  StdioForCreate s;
  if (tty) return s;  // the runtime makes the pty and hands us its master
  if (open_stdin) {
    auto [r, w] = BERTH_TRY(make_pipe());
    BERTH_CHECK(put_on(r.get(), 0));
    s.ends_.stdin_w = std::move(w);
  }
  auto [out_r, out_w] = BERTH_TRY(make_pipe());
  auto [err_r, err_w] = BERTH_TRY(make_pipe());
  BERTH_CHECK(put_on(out_w.get(), 1));
  BERTH_CHECK(put_on(err_w.get(), 2));
  s.ends_.stdout_r = std::move(out_r);
  s.ends_.stderr_r = std::move(err_r);
  return s;
}

Result<ContainerStdio> StdioForCreate::finish() {
  for (int fd = 0; fd <= 2; ++fd) BERTH_CHECK(null_on(fd));
  return std::move(ends_);
}

}  // namespace berth::monitor
