#pragma once

#include "base/error.hpp"

namespace berth::runtime {

// CVE-2019-5736: a container process that execs /proc/self/exe of the runtime's init runs the
// runtime's own binary, and may then reopen it for writing and overwrite it on the host.
// When our binary sits on a writable mount, this re-execs it through a detached read-only bind
// mount of itself (open_tree + mount_setattr + execveat): /proc/<pid>/exe of every process we
// start then names a file that cannot be opened for writing. The detached mount is freed when
// the last such process exits. Returns (having done nothing) when already protected or when
// the binary is read-only to us anyway; returns an error only when the re-exec failed.
Status protect_runtime_binary(char** argv);

}  // namespace berth::runtime
