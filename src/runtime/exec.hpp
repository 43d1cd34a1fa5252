#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/container.hpp"

namespace berth::runtime {

struct ExecOptions {
  std::string id;
  std::string process_file;  // --process: a process JSON; else the fields below
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  std::string user;  // uid[:gid]
  std::vector<uint32_t> additional_gids;
  std::vector<std::string> caps;
  bool tty = false;
  bool no_new_privs = false;
  std::string console_socket;
  std::string pid_file;
  bool detach = false;
  int preserve_fds = 0;
  bool ignore_paused = false;
};

// Starts a process in a running container. Detached: returns 0 once it runs; otherwise waits
// and returns its exit status (128+signal when killed).
Result<int> exec_in_container(const RuntimeOptions& rt, const ExecOptions& opts);

// Whether a process exec'd into the container could be traced before it execs its command, by
// one of the container's processes with CAP_SYS_PTRACE over the host. Such a process must not
// run a writable binary: the caller re-executes from a read-only mount first
// (guard_runtime_binary), as exec_in_container does when it has an argv.
Result<bool> exec_is_traceable(const RuntimeOptions& rt, const std::string& id);

}  // namespace berth::runtime
