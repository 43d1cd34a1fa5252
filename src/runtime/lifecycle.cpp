#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "runtime/cgroups/cgroup.hpp"
#include "runtime/container.hpp"
#include "runtime/hooks.hpp"

namespace berth::runtime {

namespace {

Result<std::unique_ptr<cgroups::Cgroup>> container_cgroup(const ContainerState& s) {
  return cgroups::load(s.cgroup_paths, s.rootless);
}

void warn(const std::string& line) {
  std::fprintf(stderr, "warning: %s\n", line.c_str());
}

// Waits until the process behind pidfd has exited, up to timeout_ms (-1: forever).
bool wait_exit(int pidfd, int timeout_ms) {
  struct pollfd p = {pidfd, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

// Init holds the fifo open until its execve closes it: the end of the fifo means the process
// was exec'd (or init died trying).
void wait_for_exec(int fifo) {
  int flags = ::fcntl(fifo, F_GETFL);
  if (flags >= 0) ::fcntl(fifo, F_SETFL, flags & ~O_NONBLOCK);
  char c;
  while (sys::read_some(fifo, &c, 1).value_or(0) > 0) {
  }
}

// A pidfd for the recorded init, or an invalid fd when it is gone or the pid was reused.
unique_fd init_pidfd(const ContainerState& s) {
  auto fd = sys::pidfd_open(s.pid);
  if (!fd) return {};
  // Checked after opening: from here on the pidfd pins the process we verified.
  if (!process_alive(s.pid, s.pid_start_time)) return {};
  return std::move(*fd);
}

std::string not_running(const std::string& id) {
  return quote(id) + ": container not running";  // the words containerd and podman match on
}

}  // namespace

ContainerStatus container_status(const RuntimeOptions& rt, const ContainerState& s) {
  if (!process_alive(s.pid, s.pid_start_time)) return ContainerStatus::stopped;
  if (fs::exists(StateDir(rt.root, s.id).exec_fifo())) return ContainerStatus::created;
  auto cg = container_cgroup(s);
  if (cg) {
    auto frozen = (*cg)->frozen();
    if (frozen && *frozen) return ContainerStatus::paused;
  }
  return ContainerStatus::running;
}

Status start_container(const RuntimeOptions& rt, const std::string& id) {
  auto state = BERTH_TRY(load_state(rt.root, id));
  StateDir dir(rt.root, id);
  auto status = container_status(rt, state);
  if (status != ContainerStatus::created)
    return fail_msg("cannot start container " + quote(id) + ": it is " + status_name(status) +
                    ", not created");
  auto pidfd = init_pidfd(state);
  if (!pidfd) return fail_msg("cannot start container " + quote(id) + ": its init has exited");
  auto fifo = BERTH_TRY(sys::open(dir.exec_fifo(), O_RDONLY | O_NONBLOCK));
  // A fifo that never had a writer is not readable and does not hang up: poll waits for init's
  // write, or for init to die.
  struct pollfd fds[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
  for (;;) {
    int r = ::poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail_sys("poll exec fifo");
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      char c;
      auto n = BERTH_TRY(sys::read_some(fifo.get(), &c, 1));
      if (n == 1) {
        wait_for_exec(fifo.get());
        break;
      }
      // Init opened the fifo and closed it without the byte: it failed before its exec.
      if (fds[0].revents & POLLHUP) {
        wait_exit(pidfd.get(), 1000);
        return fail_msg("cannot start container " + quote(id) +
                        ": its init failed, see its stderr");
      }
    }
    if (fds[1].revents & POLLIN)
      return fail_msg("cannot start container " + quote(id) + ": its init exited");
  }
  ::unlink(dir.exec_fifo().c_str());
  if (!state.poststart.empty()) {
    auto hook_state = state_json(state, ContainerStatus::running).dump();
    if (auto r = run_hooks(state.poststart, "poststart", hook_state); !r) {
      // The spec asks a failed poststart hook to stop the container.
      (void)sys::pidfd_send_signal(pidfd.get(), SIGKILL);
      return fail(r.error());
    }
  }
  return {};
}

Status kill_container(const RuntimeOptions& rt, const std::string& id, int signal, bool all) {
  auto state = BERTH_TRY(load_state(rt.root, id));
  auto status = container_status(rt, state);
  if (all) {
    auto cg = BERTH_TRY(container_cgroup(state));
    for (pid_t pid : BERTH_TRY(cg->pids())) ::kill(pid, signal);
    if (status == ContainerStatus::paused && (signal == SIGKILL || signal == SIGTERM))
      (void)cg->thaw();
    return {};
  }
  if (status == ContainerStatus::stopped) return fail_msg(not_running(id));
  auto pidfd = init_pidfd(state);
  if (!pidfd) return fail_msg(not_running(id));
  if (auto r = sys::pidfd_send_signal(pidfd.get(), signal); !r) {
    if (r.error().errno_value == ESRCH) return fail_msg(not_running(id) + ": no such process");
    return r;
  }
  return {};
}

Status delete_container(const RuntimeOptions& rt, const std::string& id, bool force) {
  auto state = BERTH_TRY(load_state(rt.root, id));
  auto status = container_status(rt, state);
  if (status != ContainerStatus::stopped && status != ContainerStatus::created && !force)
    return fail_msg("cannot delete container " + quote(id) +
                    " that is not stopped: " + status_name(status));
  auto cg = container_cgroup(state);
  if (status != ContainerStatus::stopped) {
    if (auto pidfd = init_pidfd(state)) {
      (void)sys::pidfd_send_signal(pidfd.get(), SIGKILL);
      if (cg && status == ContainerStatus::paused) (void)(*cg)->thaw();
      if (!wait_exit(pidfd.get(), 10000))
        warn("init of " + quote(id) + " did not exit after SIGKILL");
    }
  }
  if (cg) {
    // Without a pid namespace of its own, processes outlive init: kill every one left.
    if (!state.new_pid_namespace || status == ContainerStatus::paused) {
      if (auto pids = (*cg)->pids()) {
        for (pid_t pid : *pids) ::kill(pid, SIGKILL);
        (void)(*cg)->thaw();
      }
    }
    if (auto r = (*cg)->destroy(); !r) warn(r.error().what());
  }
  if (!state.poststop.empty()) {
    auto hook_state = state_json(state, ContainerStatus::stopped).dump();
    if (auto r = run_hooks(state.poststop, "poststop", hook_state); !r) warn(r.error().what());
  }
  return fs::remove_all(StateDir(rt.root, id).path());
}

Status pause_container(const RuntimeOptions& rt, const std::string& id) {
  auto state = BERTH_TRY(load_state(rt.root, id));
  auto status = container_status(rt, state);
  if (status != ContainerStatus::running) return fail_msg(not_running(id));
  auto cg = BERTH_TRY(container_cgroup(state));
  return cg->freeze();
}

Status resume_container(const RuntimeOptions& rt, const std::string& id) {
  auto state = BERTH_TRY(load_state(rt.root, id));
  auto status = container_status(rt, state);
  if (status != ContainerStatus::paused)
    return fail_msg("container " + quote(id) + " is not paused");
  auto cg = BERTH_TRY(container_cgroup(state));
  return cg->thaw();
}

Result<std::vector<pid_t>> container_pids(const RuntimeOptions& rt, const std::string& id) {
  auto state = BERTH_TRY(load_state(rt.root, id));
  auto cg = BERTH_TRY(container_cgroup(state));
  return cg->pids();
}

}  // namespace berth::runtime
