#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "runtime/state.hpp"

namespace berth::runtime {

// How the runtime itself was asked to run: global flags of the command line.
struct RuntimeOptions {
  std::string root;  // state root
  bool rootless = false;
  bool systemd_cgroup = false;
  char** argv = nullptr;  // our own command line, for a re-exec (exe_protection.hpp)
};

// Compiled seccomp filters, kept beside the containers: "~" never appears in a container id.
inline std::string seccomp_cache_dir(const RuntimeOptions& rt) {
  return rt.root + "/~seccomp-cache";
}

struct CreateOptions {
  std::string id;
  std::string bundle;
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
  bool foreground = false;  // `run` without -d: the caller stays the parent of init
};

struct CreatedContainer {
  ContainerState state;
  unique_fd pidfd;
  // `run` in the foreground of a terminal process without --console-socket: the pty master,
  // which the caller proxies to its own stdio, as runc does.
  unique_fd pty_master;
};

// Sets up a container up to the point where its init waits for `start`.
Result<CreatedContainer> create_container(const RuntimeOptions& rt, const CreateOptions& opts);
// Lets a created container's init exec the user process, then runs the poststart hooks.
Status start_container(const RuntimeOptions& rt, const std::string& id);
// Status as the state file, the init process and the freezer tell it.
ContainerStatus container_status(const RuntimeOptions& rt, const ContainerState& state);

Status kill_container(const RuntimeOptions& rt, const std::string& id, int signal, bool all);
// Removes a stopped (or, with force, any) container: processes, cgroup, state; poststop hooks.
Status delete_container(const RuntimeOptions& rt, const std::string& id, bool force);
Status pause_container(const RuntimeOptions& rt, const std::string& id);
Status resume_container(const RuntimeOptions& rt, const std::string& id);
Result<std::vector<pid_t>> container_pids(const RuntimeOptions& rt, const std::string& id);

}  // namespace berth::runtime
