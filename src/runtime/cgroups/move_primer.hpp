#pragma once

// Moving a process into a cgroup takes the kernel's cgroup_threadgroup_rwsem for writing, and the
// first writer after a quiet spell waits for an RCU grace period: 4-16 ms here, the longer when
// the machine was idle (bench/cgroup_attach.py). A writer that comes while that grace period runs,
// or within one grace period after the last writer, waits for it only, or not at all. Pure cgroup
// v2 needs no move (init is cloned into its cgroup); cgroup v1 and hybrid machines pay one grace
// period per container start and exec.
namespace berth::runtime::cgroups {

// Starts, on a detached thread, a move of the calling process into the v1 devices cgroup it is
// in already: nothing changes, but the grace period starts now and runs while the caller prepares
// the container that the runtime moves some milliseconds later. Does nothing where the process
// has no v1 devices cgroup, or the second time; a move that fails (no permission) costs nothing.
// The thread takes no signals and allocates no memory. It leaves the process single-threaded
// again within a grace period: call this only where setns(2) of a mount or user namespace does
// not follow at once, nor a clone without fork's handlers whose child allocates.
void prime_cgroup_moves();

}  // namespace berth::runtime::cgroups
