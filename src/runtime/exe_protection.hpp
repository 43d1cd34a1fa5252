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
// - stub_safe (rootful, and nothing in the container with CAP_SYS_PTRACE over the host can see
//   the process before it execs: create gives init a pid namespace of its own; exec asks
//   exec_is_traceable): the container's process reaches its program through
//   berth-runtime-exec, a libc-free stub beside this binary, opened from a read-only detached
//   mount (the returned fd, placed above the preserve_fds the container receives; a sealed copy
//   where no mount can be made): /proc/self/exe then names the stub, and init runs the
//   runtime's binary only until start, not dumpable (make_undumpable), so that nothing without
//   CAP_SYS_PTRACE over the host opens its /proc/PID/exe;
// - otherwise (CAP_SYS_PTRACE in the container; a shared pid namespace at create; a rootless
//   runtime whose binary is the user's; no stub): this process re-execs itself from a read-only
//   bind mount of its binary (open_tree + mount_setattr + execveat; rootless, a sealed copy) and
//   does not return.
// argv is our command line for the re-exec; a library caller that cannot re-exec passes nullptr
// and gets the stub, or nothing when the stub is missing. Returns an empty fd when the final
// exec may be a plain one.
Result<unique_fd> guard_runtime_binary(bool stub_safe, bool rootless, int preserve_fds,
                                       char** argv);

// A binary of ours on a detached read-only mount of its own (open_tree + mount_setattr): what a
// process exec'd from it (execveat, or execve of /proc/self/fd/N) has as /proc/PID/exe cannot be
// opened for writing. Needs CAP_SYS_ADMIN.
Result<unique_fd> open_readonly_binary(const std::string& path);

// Not dumpable: /proc/PID/exe, root, cwd, fd and mem of this process and of the children it forks
// open only with CAP_SYS_PTRACE over the host. Called by create (rootful) and exec before they
// clone a container process.
Status make_undumpable();
// Whether we hold CAP_SYS_PTRACE: only then can we still open the /proc files of a
// non-dumpable child (its namespaces, for one).
bool have_cap_sys_ptrace();

// Whether a process may open /proc/PID/exe of a non-dumpable runtime process: CAP_SYS_PTRACE in
// its bounding set (or no capabilities object: then none are dropped), with no user namespace
// of the container's own (caps in one do not reach processes of the host's).
bool may_ptrace_runtime(const Process& process, bool user_namespace);

// The final exec of a container process: through the stub when stub_fd >= 0 (execve of
// /proc/self/fd/N, execveat without /proc). Returns only on failure, with the error of the exec.
Error exec_via_stub(int stub_fd, const std::string& executable, char** argv, char** envp);

}  // namespace berth::runtime
