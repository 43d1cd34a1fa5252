#pragma once

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

// CVE-2019-5736: a container process that execs /proc/self/exe of a runtime process runs the
// runtime's own binary, and may then reopen it for writing and overwrite it on the host; one
// that can ptrace a runtime process can open its /proc/PID/exe directly.
//
// Called by the commands that start container processes (create, run, exec) once the spec is
// known. Nothing is done when our binary cannot be written by us (a read-only mount, a sealed
// copy, an installed binary and a rootless user). Otherwise:
// - rootful, the container's processes reach their program through berth-runtime-exec, a
//   libc-free stub beside this binary, opened from a read-only detached mount (the returned fd;
//   a sealed copy where no mount can be made): /proc/self/exe then names the stub. This process
//   and the children it forks are made non-dumpable, so that nothing without CAP_SYS_PTRACE over
//   the host opens their /proc/PID/exe;
// - a container that could have that (CAP_SYS_PTRACE without a user namespace), a rootless
//   runtime whose binary is the user's own, or a missing stub: this process re-execs itself
//   from a read-only bind mount of its binary (open_tree + mount_setattr + execveat; rootless,
//   a sealed copy) and does not return.
// argv is our command line for the re-exec; a library caller (berth-monitor) passes nullptr and
// gets the stub in every case, or nothing when the stub is missing. Returns an empty fd when
// the final exec may be a plain one.
Result<unique_fd> guard_runtime_binary(bool container_may_ptrace, bool rootless, char** argv);

// Whether a process may open /proc/PID/exe of a non-dumpable runtime process: CAP_SYS_PTRACE in
// its bounding set, with no user namespace of the container's own (caps in one do not reach
// processes of the host's).
bool may_ptrace_runtime(const Process& process, bool user_namespace);

// The final exec of a container process: through the stub when stub_fd >= 0. Returns only on
// failure, with the error of the exec.
Error exec_via_stub(int stub_fd, const std::string& executable, char** argv, char** envp);

}  // namespace berth::runtime
