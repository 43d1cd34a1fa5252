#include "runtime/cgroups/move_primer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/fs.hpp"
#include "runtime/cgroups/path.hpp"

namespace berth::runtime::cgroups {

namespace {

// Filled before the thread starts and only read by it: the thread allocates nothing, so that a
// child cloned meanwhile without fork's handlers (clone3) never finds malloc's locks taken.
char primer_path[4096];

// "/sys/fs/cgroup/devices<path>/cgroup.procs" from /proc/self/cgroup's line "N:devices:<path>";
// empty when there is none.
std::string own_devices_procs() {
  auto text = fs::read_file("/proc/self/cgroup");
  if (!text) return {};
  auto lines = parse_proc_cgroup(*text);
  if (!lines) return {};
  for (const auto& l : *lines) {
    if (l.controllers != std::vector<std::string>{"devices"}) continue;
    if (l.path.empty() || l.path[0] != '/') return {};
    return "/sys/fs/cgroup/devices" + (l.path == "/" ? std::string() : l.path) + "/cgroup.procs";
  }
  return {};
}

void* move_self(void*) {
  int fd = ::open(primer_path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  // "0" is the writer's own process.
  [[maybe_unused]] ssize_t n = ::write(fd, "0", 1);
  ::close(fd);
  return nullptr;
}

}  // namespace

void prime_cgroup_moves() {
  std::string procs = own_devices_procs();
  if (procs.empty() || procs.size() >= sizeof(primer_path) || primer_path[0] != '\0') return;
  std::memcpy(primer_path, procs.c_str(), procs.size() + 1);

  // The thread takes no signal: SIGCHLD, SIGINT and SIGWINCH stay the main thread's, which
  // blocks them to wait for them.
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_t thread;
  if (::pthread_attr_init(&attr) == 0) {
    ::pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    ::pthread_attr_setstacksize(&attr, 64 * 1024);
    (void)::pthread_create(&thread, &attr, move_self, nullptr);  // none: only slower
    ::pthread_attr_destroy(&attr);
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace berth::runtime::cgroups
