#pragma once

#include <signal.h>
#include <sys/types.h>

namespace berth::runtime {

// Copies between our stdin/stdout and a container's pty master until the process exits,
// forwarding the signals in `forwarded` (blocked by the caller) and window size changes.
// Puts a terminal on our stdin in raw mode meanwhile. Returns the exit status, or 128+signal.
int proxy_terminal_until_exit(pid_t pid, int master, const sigset_t& forwarded);

}  // namespace berth::runtime
