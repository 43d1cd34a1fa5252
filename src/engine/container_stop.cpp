#include <poll.h>
#include <signal.h>
#include <sys/mount.h>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "engine/container_service.hpp"
#include "engine/container_state.hpp"
#include "engine/volume_mounts.hpp"
#include "monitor/monitor_config.hpp"
#include "runtime/signals.hpp"

namespace berth::engine {
namespace {

using namespace std::chrono_literals;

Status mark_stopped_on_purpose(const ContainerPaths& p) {
  if (!fs::exists(p.run_dir)) return {};
  return fs::write_file_atomic(monitor::stop_marker_path(p.run_dir), "", 0600);
}

Result<int> stop_signal_of(const ContainerRecord& r) {
  std::string name = r.config.value("StopSignal", "");
  if (name.empty()) return SIGTERM;
  return runtime::parse_signal(name);
}

}  // namespace

bool ContainerService::wait_for_monitor(const ContainerRecord& r,
                                        std::chrono::milliseconds timeout) const {
  if (!monitor_alive(r)) return true;
  auto pidfd = sys::pidfd_open(monitor_pid_of(r.state));
  if (!pidfd) return true;
  // The start time was checked after the pidfd was opened: the pid is still the monitor's.
  if (!monitor_alive(r)) return true;
  pollfd p{pidfd->get(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

Result<int> ContainerService::monitor_pidfd(const ContainerRecord& r) const {
  if (!monitor_alive(r)) return -1;
  auto pidfd = BERTH_TRY(sys::pidfd_open(monitor_pid_of(r.state)));
  if (!monitor_alive(r)) return -1;
  return pidfd.release();
}

Status ContainerService::kill(std::string_view id_or_name, int signal) {
  ContainerRecord r = BERTH_TRY(get(id_or_name));
  if (!is_running(r.state))
    return fail_msg("Cannot kill container: " + std::string(id_or_name) + ": Container " + r.id +
                    " is not running");
  // Docker: a container killed by hand is not restarted by its policy.
  BERTH_CHECK(mark_stopped_on_purpose(paths_of(r.id)));
  return runtime::kill_container(runtime_options(), r.id, signal, false);
}

Status ContainerService::stop(std::string_view id_or_name, std::optional<int> timeout_seconds) {
  ContainerRecord r = BERTH_TRY(get(id_or_name));
  if (!is_active(r.state)) return {};
  BERTH_CHECK(mark_stopped_on_purpose(paths_of(r.id)));
  auto rt = runtime_options();
  if (status_of(r.state) == "paused") (void)runtime::resume_container(rt, r.id);
  int timeout = timeout_seconds.value_or(r.config.value("StopTimeout", 10));
  if (is_running(r.state)) {
    int sig = BERTH_TRY(stop_signal_of(r));
    (void)runtime::kill_container(rt, r.id, sig, false);
  }
  if (timeout < 0 || !wait_for_monitor(r, std::chrono::seconds(timeout))) {
    (void)runtime::kill_container(rt, r.id, SIGKILL, true);
    wait_for_monitor(r, 30s);
  }
  return finish(r.id);
}

Result<int> ContainerService::wait(std::string_view id_or_name) {
  ContainerRecord r = BERTH_TRY(get(id_or_name));
  while (is_active(r.state)) {
    // The monitor outlives each exit when it restarts the container: look again now and then.
    wait_for_monitor(r, 100ms);
    auto found = BERTH_TRY(store_.find(r.id));
    if (!found) return exit_code_of(r.state);
    auto next = BERTH_TRY(reconcile(std::move(*found)));
    if (next.id.empty()) break;  // --rm: gone
    if (status_of(next.state) == "restarting") return exit_code_of(next.state);
    r = std::move(next);
  }
  return exit_code_of(r.state);
}

Status ContainerService::remove(std::string_view id_or_name, bool force, bool volumes) {
  ContainerRecord r = BERTH_TRY(get(id_or_name));
  if (is_active(r.state)) {
    if (!force)
      return fail_msg("You cannot remove a " + status_of(r.state) + " container " + r.id +
                      ". Stop the container before attempting removal or force remove");
    BERTH_CHECK(mark_stopped_on_purpose(paths_of(r.id)));
    (void)runtime::kill_container(runtime_options(), r.id, SIGKILL, true);
    wait_for_monitor(r, 30s);
    BERTH_CHECK(finish(r.id));
  }
  auto still = BERTH_TRY(store_.find(r.id));
  if (!still) return {};  // --rm took it
  BERTH_CHECK(remove_files(*still));
  if (volumes) BERTH_CHECK(remove_anonymous_volumes(volumes_, store_, *still));
  return {};
}

Status ContainerService::remove_files(const ContainerRecord& r) {
  ContainerPaths p = paths_of(r.id);
  (void)::umount2(p.rootfs.c_str(), MNT_DETACH);
  BERTH_CHECK(fs::remove_all(p.run_dir));
  BERTH_CHECK(snapshotter_.remove(r.id));
  BERTH_CHECK(store_.remove(r.id));
  return fs::remove_all(p.data_dir);
}

}  // namespace berth::engine
