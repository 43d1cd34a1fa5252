#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/rlimits.hpp"
#include "runtime/seccomp.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

// Everything about the container process that can be checked and compiled on the host side,
// before clone: bad names fail early, and the child only applies.
struct PreparedProcess {
  Process process;
  std::optional<CapSets> caps;
  std::vector<ResolvedRlimit> rlimits;
  std::optional<SeccompProgram> seccomp;
  std::optional<unsigned long> personality;
  std::string seccomp_listener_path;
};

// seccomp_cache_dir keeps compiled filters (a Docker-sized profile costs ~16 ms to compile).
Result<PreparedProcess> prepare_process(const Process& process, const Linux& linux_config,
                                        const std::string& seccomp_cache_dir);

// In the container, root already entered: finds args[0] along the process PATH, as execvp would,
// and checks it can be executed. Errors read like runc's ("executable file not found in $PATH").
Result<std::string> find_executable(const Process& process);

// Changes into the process cwd inside the container root (creating it when missing) and checks
// that it is reachable from that root.
Status enter_cwd(const std::string& cwd);

struct FinalizeOptions {
  int preserve_fds = 0;
  bool setgroups_allowed = true;
  std::string container_state_json;  // sent to the seccomp listener with its fd
};

// The process environment, with HOME from the container's /etc/passwd when the spec has none
// (as runc does). Read before the process's seccomp filter is in place.
std::vector<std::string> process_environment(const Process& process);

// Marks every fd but stdio and the preserved ones close-on-exec, then applies rlimits, user,
// capabilities, no_new_privs, seccomp and personality in the order the kernel requires. Done
// before the runtime is told "ready", so that `create` reports what fails here.
Status apply_process_security(const PreparedProcess& prepared, const FinalizeOptions& options);

// execve, through the exec stub when stub_fd >= 0 (exe_protection.hpp); returns only on failure.
Error exec_process(const Process& process, const std::string& executable,
                   const std::vector<std::string>& environment, int stub_fd);

}  // namespace berth::runtime
