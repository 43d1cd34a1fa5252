#include "runtime/namespaces.hpp"

#include <fcntl.h>
#include <sched.h>

#include <algorithm>

#include "base/syscalls.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth::runtime {

uint64_t namespace_flag(const std::string& type) {
  if (type == "pid") return CLONE_NEWPID;
  if (type == "network") return CLONE_NEWNET;
  if (type == "mount") return CLONE_NEWNS;
  if (type == "ipc") return CLONE_NEWIPC;
  if (type == "uts") return CLONE_NEWUTS;
  if (type == "user") return CLONE_NEWUSER;
  if (type == "cgroup") return CLONE_NEWCGROUP;
  if (type == "time") return CLONE_NEWTIME;
  return 0;
}

const char* namespace_proc_name(const std::string& type) {
  if (type == "network") return "net";
  if (type == "mount") return "mnt";
  if (type == "pid") return "pid";
  if (type == "ipc") return "ipc";
  if (type == "uts") return "uts";
  if (type == "user") return "user";
  if (type == "cgroup") return "cgroup";
  if (type == "time") return "time";
  return "";
}

Result<NamespacePlan> plan_namespaces(const Linux& linux_config) {
  NamespacePlan plan;
  for (const auto& ns : linux_config.namespaces) {
    uint64_t flag = namespace_flag(ns.type);
    plan.all_flags |= flag;
    if (ns.path.empty()) {
      plan.new_flags |= flag;
    } else {
      plan.joins.push_back(ns);
    }
  }
  // The user namespace is joined first: the others are then entered with its privileges.
  std::stable_partition(plan.joins.begin(), plan.joins.end(),
                        [](const Namespace& ns) { return ns.type == "user"; });
  plan.new_user = plan.new_flags & CLONE_NEWUSER;
  plan.new_pid = plan.new_flags & CLONE_NEWPID;
  plan.new_mount = plan.new_flags & CLONE_NEWNS;
  for (const auto& ns : plan.joins) {
    if (ns.type == "user") plan.join_user = true;
    if (ns.type == "pid") plan.join_pid = true;
  }
  if (!linux_config.uid_mappings.empty() && !plan.new_user)
    return fail_msg("linux.uidMappings: set, but no new user namespace is requested");
  if (plan.new_user && (linux_config.uid_mappings.empty() || linux_config.gid_mappings.empty()))
    return fail_msg("linux.uidMappings: a new user namespace needs uid and gid mappings");
  if (!linux_config.time_offsets.empty() && !(plan.new_flags & CLONE_NEWTIME))
    return fail_msg("linux.timeOffsets: set, but no new time namespace is requested");
  return plan;
}

Status join_namespaces(const std::vector<Namespace>& joins, uint64_t types_mask) {
  for (const auto& ns : joins) {
    uint64_t flag = namespace_flag(ns.type);
    if (!(flag & types_mask)) continue;
    auto fd = sys::open(ns.path, O_RDONLY);
    if (!fd) return fail(fd.error().wrap("join " + ns.type + " namespace"));
    BERTH_CHECK(
        sys::setns(fd->get(), static_cast<int>(flag), ns.type + " namespace " + quote(ns.path)));
  }
  return {};
}

}  // namespace berth::runtime
