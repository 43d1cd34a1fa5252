// berth-monitor --hold-user-namespace: keeps rootless berth's user namespace open.
// berth-monitor RUN_DIR: supervises the container that RUN_DIR/monitor.json describes. The engine
// starts it with /dev/null on fds 0-2 and the write end of a pipe on fd 3, on which it reports one
// JSON line: {"pid": "N"} once the container runs (or is created, for a client that attaches
// before it starts), or {"error": "..."}.
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>

#include <nlohmann/json.hpp>

#include "monitor/supervise/supervisor.hpp"

int main(int argc, char** argv) {
  using namespace berth;
  // Rootless berth's user namespace lives as long as this does (engine/rootless_namespace.cpp).
  if (argc == 2 && std::string_view(argv[1]) == "--hold-user-namespace") {
    for (;;) ::pause();
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: berth-monitor RUN_DIR\n");
    return 2;
  }
  std::string run_dir = argv[1];
  int sync_fd = ::fcntl(3, F_GETFD) >= 0 ? 3 : -1;
  if (sync_fd >= 0) ::fcntl(sync_fd, F_SETFD, FD_CLOEXEC);
  // Processes that the container's init leaves behind in a joined pid namespace come to us.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  if (::chdir("/") < 0) return 1;

  auto config = monitor::read_monitor_config(monitor::monitor_config_path(run_dir));
  if (!config) {
    if (sync_fd >= 0) {
      std::string line = nlohmann::json{{"error", config.error().what()}}.dump() + "\n";
      (void)!::write(sync_fd, line.data(), line.size());
    }
    return 1;
  }
  auto exit_command = config->exit_command;
  monitor::Supervisor supervisor(run_dir, std::move(*config), sync_fd);
  auto cleaned_by_client = supervisor.run();
  if (cleaned_by_client && *cleaned_by_client) return 0;
  if (!exit_command.empty()) {
    std::vector<char*> argv_exec;
    for (auto& a : exit_command) argv_exec.push_back(a.data());
    argv_exec.push_back(nullptr);
    ::execv(argv_exec[0], argv_exec.data());
  }
  return cleaned_by_client ? 0 : 1;
}
