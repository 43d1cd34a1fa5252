#pragma once

#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

// The container's /dev: device nodes, the usual symlinks, /dev/ptmx and /dev/console.
namespace berth::runtime {

// /dev/null, zero, full, random, urandom and tty (0666, root), then the spec's devices (which
// replace a default of the same path). With bind_from_host (user namespaces, where mknod is
// refused) each node is the host's node of the same path bound onto an empty file.
Status create_devices(int root_fd, const std::vector<Device>& devices, bool bind_from_host);

// /dev/fd, stdin, stdout, stderr (and core when the host has /proc/kcore), /dev/ptmx -> pts/ptmx.
Status create_dev_symlinks(int root_fd);

// The empty file that the terminal's pty is bound onto.
Status create_console_placeholder(int root_fd);

// Binds the pty (an open fd of its replica side) onto /dev/console of the current root.
Status mount_console(int pty_fd);

// False when the spec binds the host's /dev onto /dev: then it has its devices already.
bool needs_dev_setup(const Spec& spec);

}  // namespace berth::runtime
