#include "engine/monitor_launch.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"
#include "runtime/exe_protection.hpp"
#include "runtime/state.hpp"

extern char** environ;

namespace berth::engine {
namespace {

// A pipe whose ends are above 3, so that dup2 onto fd 3 in the child always clears close-on-exec.
Result<std::pair<unique_fd, unique_fd>> sync_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return fail_sys("pipe for the monitor");
  unique_fd r(fds[0]), w(fds[1]);
  unique_fd r2(::fcntl(r.get(), F_DUPFD_CLOEXEC, 10));
  unique_fd w2(::fcntl(w.get(), F_DUPFD_CLOEXEC, 10));
  if (!r2 || !w2) return fail_sys("dup the monitor's pipe");
  return std::pair{std::move(r2), std::move(w2)};
}

class SpawnSetup {
 public:
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions_);
    ::posix_spawnattr_init(&attr_);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

}  // namespace

Result<std::string> sibling_binary(const std::string& name) {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n < 0) return fail_sys("readlink /proc/self/exe");
  self[n] = '\0';
  std::string path = fs::dirname(self) + "/" + name;
  if (::access(path.c_str(), X_OK) != 0)
    return fail_sys(name + " is not installed beside " + quote(self) + ": " + quote(path));
  return path;
}

Result<LaunchedMonitor> launch_monitor(const std::string& run_dir,
                                       const monitor::MonitorConfig& config) {
  std::string binary = BERTH_TRY(sibling_binary("berth-monitor"));
  BERTH_CHECK(monitor::write_monitor_config(monitor::monitor_config_path(run_dir), config));
  auto [sync_r, sync_w] = BERTH_TRY(sync_pipe());

  SpawnSetup s;
  ::posix_spawn_file_actions_addopen(&s.actions_, 0, "/dev/null", O_RDWR, 0);
  ::posix_spawn_file_actions_addopen(&s.actions_, 1, "/dev/null", O_RDWR, 0);
  ::posix_spawn_file_actions_addopen(&s.actions_, 2, "/dev/null", O_RDWR, 0);
  ::posix_spawn_file_actions_adddup2(&s.actions_, sync_w.get(), 3);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD}) sigaddset(&defaults, sig);
  ::posix_spawnattr_setsigmask(&s.attr_, &none);
  ::posix_spawnattr_setsigdefault(&s.attr_, &defaults);
  ::posix_spawnattr_setflags(&s.attr_,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  // Every container process starts as a fork of the monitor: it runs from a read-only mount of
  // its binary, so that none can write it through /proc/PID/exe (CVE-2019-5736). Rootless no
  // mount can be made: the runtime then guards the container's exec itself.
  auto readonly = runtime::open_readonly_binary(binary);
  const std::string exe = readonly ? "/proc/self/fd/" + std::to_string(readonly->get()) : binary;
  std::string arg0 = "berth-monitor";
  std::string arg1 = run_dir;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  if (int rc = ::posix_spawn(&pid, exe.c_str(), &s.actions_, &s.attr_, argv, environ); rc != 0) {
    errno = rc;
    return fail_sys("start " + quote(binary));
  }
  LaunchedMonitor launched;
  launched.monitor_pid = pid;
  launched.monitor_start_time = runtime::process_start_time(pid);
  sync_w.reset();

  // One line, not to EOF: the container's init, cloned from the monitor, holds the pipe as well
  // until it execs.
  std::string line;
  char c;
  while (true) {
    ssize_t n = ::read(sync_r.get(), &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys("read the word of the monitor of " + config.id);
    if (n == 0 || c == '\n') break;
    line += c;
  }
  nlohmann::json word = nlohmann::json::parse(line, nullptr, false);
  if (word.is_object() && word.contains("pid") && word["pid"].is_string()) {
    launched.container_pid = std::stoi(word["pid"].get<std::string>());
    return launched;
  }
  if (word.is_object() && word.contains("error") && word["error"].is_string())
    return fail_msg(word["error"].get<std::string>());
  return fail_msg("the monitor of " + config.id + " ended without a word (run dir " + run_dir +
                  ")");
}

}  // namespace berth::engine
