#pragma once

#include <optional>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

// Opens the console socket (a unix socket path given by the caller) before the container is set up.
Result<unique_fd> connect_console_socket(const std::string& path);

// In the container, after its /dev/pts is mounted: opens a new pty from /dev/ptmx, sends the
// master to the console socket, and makes the peer the controlling terminal and stdio.
// The container's init also binds the pty onto /dev/console (bind_dev_console); exec does not.
Status setup_console(int console_socket, const std::optional<ConsoleSize>& size,
                     bool bind_dev_console);

// Receives the pty master that a container sends to a console socket we listen on.
Result<unique_fd> receive_console_fd(int connected_socket);

}  // namespace berth::runtime
