#pragma once

#include <string>

#include "runtime/channel.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/process_setup.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

// What the container's init inherits from the runtime across clone3 (same memory image).
struct InitContext {
  const Spec* spec = nullptr;
  const PreparedProcess* process = nullptr;
  NamespacePlan plan;
  std::string id;
  std::string bundle;
  std::string rootfs;
  std::string exec_fifo;
  std::string state_json;  // for createContainer/startContainer hooks and the seccomp listener
  int console_socket = -1;
  int exec_stub = -1;  // exe_protection.hpp
  int preserve_fds = 0;
  bool no_pivot = false;
  bool no_new_keyring = false;
  bool setgroups_allowed = true;
  const Channel* channel = nullptr;
};

// The container's init, from clone3 to execve. Never returns.
[[noreturn]] void init_main(const InitContext& ctx);

}  // namespace berth::runtime
