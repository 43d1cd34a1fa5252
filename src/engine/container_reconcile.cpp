#include <sys/mount.h>

#include "base/fs.hpp"
#include "engine/container_lock.hpp"
#include "engine/container_service.hpp"
#include "engine/container_state.hpp"
#include "engine/volume_mounts.hpp"
#include "monitor/monitor_config.hpp"
#include "runtime/state.hpp"

namespace berth::engine {
namespace {}  // namespace

bool ContainerService::monitor_alive(const ContainerRecord& r) const {
  pid_t pid = monitor_pid_of(r.state);
  if (pid <= 0) return false;
  auto start = r.state.value("MonitorStartTime", 0ULL);
  return runtime::process_alive(pid, start);
}

// A record whose container should be running is checked against its monitor: restarts it made
// show as a new pid, and a monitor that is gone (killed, or /run wiped under it) means the
// container ended; its exit is recorded and its leftovers removed. Returns the record with an
// empty id when it ended with --rm and is gone.
Result<ContainerRecord> ContainerService::reconcile(ContainerRecord r) {
  ContainerPaths p = paths_of(r.id);
  if (status_of(r.state) == "created") BERTH_CHECK(adopt(r, p));
  if (!is_active(r.state)) return r;
  if (monitor_alive(r)) {
    auto exit = monitor::read_exit_record(monitor::exit_record_path(p.run_dir));
    auto text = fs::read_file(monitor::running_record_path(p.run_dir));
    nlohmann::json running = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    std::string started = running.is_object() ? running.value("StartedAt", "") : "";
    nlohmann::json before = r.state;
    if (exit && exit->finished_at >= started && !started.empty()) {
      if (!exit->restarting) {
        // The monitor is on its way out; its exit command will find the work done.
        BERTH_CHECK(finish(r.id));
        auto after = BERTH_TRY(store_.find(r.id));
        return after ? *after : ContainerRecord{};
      }
      mark_restarting(r.state, *exit);
    } else if (running.is_object() && status_of(r.state) != "paused") {
      mark_running(r.state, running.value("Pid", 0), started, monitor_pid_of(r.state),
                   r.state.value("MonitorStartTime", 0ULL), running.value("RestartCount", 0));
    }
    if (r.state != before) BERTH_CHECK(store_.set_state(r.id, r.state));
    return r;
  }
  BERTH_CHECK(finish(r.id));
  auto after = BERTH_TRY(store_.find(r.id));
  return after ? *after : ContainerRecord{};
}

// A start killed after the monitor was launched but before the record said so: the monitor's
// running.json names it, and it is adopted; a dead monitor's files are then handled as any
// other's (finish() records the exit).
Status ContainerService::adopt(ContainerRecord& r, const ContainerPaths& p) {
  auto text = fs::read_file(monitor::running_record_path(p.run_dir));
  if (!text) return {};
  nlohmann::json running = nlohmann::json::parse(*text, nullptr, false);
  if (!running.is_object()) return {};
  mark_running(r.state, running.value("Pid", 0), running.value("StartedAt", ""),
               running.value("MonitorPid", 0), running.value("MonitorStartTime", 0ULL),
               running.value("RestartCount", 0));
  return store_.set_state(r.id, r.state);
}

Status ContainerService::cleanup(const std::string& id) {
  auto record = BERTH_TRY(store_.find(id));
  if (!record) return {};  // removed meanwhile
  return finish(record->id);
}

Status ContainerService::finish(const std::string& id) {
  ContainerPaths p = paths_of(id);
  auto lock = BERTH_TRY(ContainerLock::acquire(p.data_dir));
  auto found = BERTH_TRY(store_.find(id));
  if (!found || !is_active(found->state)) return {};
  ContainerRecord r = std::move(*found);

  auto exit = monitor::read_exit_record(monitor::exit_record_path(p.run_dir));
  monitor::ExitRecord ended;
  if (exit) {
    ended = *exit;
    ended.restarting = false;
  } else {
    // No word from the monitor: it was killed, or /run went away with its files.
    ended.exit_code = 255;
    ended.finished_at = rfc3339_now();
    ended.error = "the monitor of the container is gone";
    ended.restart_count = restart_count_of(r.state);
  }
  // Processes the dead monitor left, the runtime's state and the cgroup.
  if (!monitor_alive(r)) (void)runtime::delete_container(runtime_options(), id, true);
  HostConfig host = BERTH_TRY(host_config_from_json(r.host_config));
  if (host.auto_remove) {
    BERTH_CHECK(remove_files(r));
    return remove_anonymous_volumes(volumes_, store_, r);
  }
  // The root is mounted in this process only when it started the container itself.
  (void)::umount2(p.rootfs.c_str(), MNT_DETACH);
  BERTH_CHECK(fs::remove_all(p.run_dir));
  mark_exited(r.state, ended);
  BERTH_CHECK(store_.set_state(id, r.state));
  return {};
}

}  // namespace berth::engine
