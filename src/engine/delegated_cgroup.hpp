#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/cgroups/cgroup.hpp"

// Rootless containers in the cgroup v2 subtree the user owns (systemd's Delegate=yes, or a
// directory root gave the user): each container gets <delegated>/berth/<id>, so that pause, stats
// and the limits of the delegated controllers work without root.
namespace berth::engine {

// Where berth moves the processes it finds in the delegated cgroup (itself, the user's shell).
inline constexpr const char* kDelegatedLeaf = "berth-leaf";

struct DelegatedCgroup {
  std::string mount;  // the cgroup2 hierarchy's mount point
  std::string path;   // the user's cgroup in that hierarchy: "/user.slice/.../app.scope"
  std::vector<std::string> controllers;  // its cgroup.controllers
  // Marked delegated (xattr trusted.delegate or user.delegate "1", as systemd marks units with
  // Delegate=yes): its processes are ours to rearrange. A cgroup that is only writable (a
  // terminal's scope, a user service) is rearranged only for a container with limits.
  bool marked = false;

  std::string dir() const;
  // linux.cgroupsPath of a container: "<path>/berth/<id>".
  std::string container_path(const std::string& id) const;
};

// The candidate from /proc/self/cgroup's text: berth's own cgroup2 path, or its parent when that
// is berth's leaf. nullopt when the machine has no cgroup2 hierarchy.
Result<std::optional<std::string>> delegation_candidate(runtime::cgroups::Mode mode,
                                                        const std::string& proc_self_cgroup);

// The first of the candidate's files that this user may not write (the directory,
// cgroup.procs, cgroup.subtree_control), or empty when all are writable: delegated.
std::string first_unwritable(const std::string& dir);

// The user's delegated cgroup, or nullopt when the candidate is not writable by this user or
// does not hold this process (the path in /proc/self/cgroup is not where it seems, as in a
// cgroup namespace).
Result<std::optional<DelegatedCgroup>> find_delegated_cgroup();

// Makes <dir>/berth ready for containers with every controller of dir, and returns the
// controllers containers get. cgroup v2 gives controllers only to the children of a cgroup
// without processes, so the processes in dir (this one, the user's shell) move to
// <dir>/berth-leaf first.
Result<std::vector<std::string>> prepare_delegated_cgroup(const DelegatedCgroup& cgroup);

}  // namespace berth::engine
