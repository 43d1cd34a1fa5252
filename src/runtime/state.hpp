#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

// What the runtime records about one container in <root>/<id>/state.json. The status is never
// stored: it is derived from the init process, the exec fifo and the freezer (see status()).
struct ContainerState {
  std::string id;
  std::string bundle;
  std::string rootfs;
  pid_t pid = 0;
  unsigned long long pid_start_time = 0;  // field 22 of /proc/<pid>/stat: guards against pid reuse
  std::string created;                    // RFC 3339 with nanoseconds, UTC
  uid_t owner = 0;
  bool rootless = false;
  bool new_pid_namespace = true;
  // Until start, init runs the runtime's own (writable) binary, guarded only by being
  // non-dumpable (exe_protection.hpp): no process with CAP_SYS_PTRACE may join it before start.
  bool init_runs_runtime = false;
  std::string cgroups_path;
  nlohmann::json cgroup_paths;
  std::map<std::string, std::string> annotations;
  std::string oci_version;
  // The hooks that run after create, kept here so start and delete need not parse the config.
  std::vector<Hook> poststart, poststop;
};

// The directory that holds one container's state files.
class StateDir {
 public:
  StateDir(std::string root, std::string id);
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string state_file() const { return file("state.json"); }
  std::string config_file() const { return file("config.json"); }
  std::string exec_fifo() const { return file("exec.fifo"); }

 private:
  std::string path_;
};

Status validate_container_id(const std::string& id);
// Creates <root>/<id> exclusively: a second create of the same id fails here, atomically.
Status claim_state_dir(const std::string& root, const std::string& id);
Status save_state(const StateDir& dir, const ContainerState& state);
// Error text has "does not exist" for an unknown id, as containerd and podman match on it.
Result<ContainerState> load_state(const std::string& root, const std::string& id);
Result<std::vector<std::string>> list_container_ids(const std::string& root);

enum class ContainerStatus { creating, created, running, paused, stopped };
std::string status_name(ContainerStatus s);

// Start time of a process from /proc/<pid>/stat, or 0 when it is gone.
unsigned long long process_start_time(pid_t pid);
// True when the process with this pid is the one recorded (same start time) and not a zombie.
bool process_alive(pid_t pid, unsigned long long start_time);

nlohmann::json state_json(const ContainerState& state, ContainerStatus status);

}  // namespace berth::runtime
