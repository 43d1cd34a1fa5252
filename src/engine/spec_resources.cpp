#include "engine/spec_resources.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "base/strings.hpp"

namespace berth::engine {

namespace {

using nlohmann::json;

constexpr int64_t kMinMemory = 6 * 1024 * 1024;
constexpr int64_t kCpuPeriod = 100000;  // microseconds: --cpus is a quota over 100 ms

int cpu_count() {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

Status check_limits(const HostConfig& h) {
  if (h.memory != 0 && h.memory < kMinMemory)
    return fail_msg("Minimum memory limit allowed is 6MB");
  if (h.memory_swap > 0 && h.memory == 0)
    return fail_msg("You should always set the Memory limit when using Memoryswap limit");
  if (h.memory_swap > 0 && h.memory_swap < h.memory)
    return fail_msg("Minimum memoryswap limit should be larger than memory limit");
  if (h.memory_swap < -1)
    return fail_msg("invalid memory swap limit " + std::to_string(h.memory_swap));
  if (h.nano_cpus > 0 && h.cpu_period > 0)
    return fail_msg("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (h.nano_cpus > 0 && h.cpu_quota > 0)
    return fail_msg("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  int cpus = cpu_count();
  if (h.nano_cpus < 0 || h.nano_cpus > int64_t(cpus) * 1000000000)
    return fail_msg("Range of CPUs is from 0.01 to " + std::to_string(cpus) +
                    ".00, as there are only " + std::to_string(cpus) + " CPUs available");
  if (h.cpu_period != 0 && (h.cpu_period < 1000 || h.cpu_period > 1000000))
    return fail_msg(
        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  if (h.cpu_quota > 0 && h.cpu_quota < 1000)
    return fail_msg("CPU cfs quota can not be less than 1ms (i.e. 1000)");
  if (h.cpu_shares < 0) return fail_msg("invalid CPU shares " + std::to_string(h.cpu_shares));
  if (h.shm_size < 0) return fail_msg("SHM size can not be less than 0");
  return {};
}

struct SetLimit {
  const char* flag;        // as the user gave it
  const char* controller;  // the cgroup v2 controller that applies it
};

std::vector<SetLimit> set_limits(const HostConfig& h) {
  std::vector<SetLimit> out;
  if (h.memory != 0) out.push_back({"--memory", "memory"});
  if (h.memory_swap != 0) out.push_back({"--memory-swap", "memory"});
  if (h.nano_cpus != 0) out.push_back({"--cpus", "cpu"});
  if (h.cpu_shares != 0) out.push_back({"--cpu-shares", "cpu"});
  if (h.cpu_quota != 0) out.push_back({"--cpu-quota", "cpu"});
  if (h.cpu_period != 0) out.push_back({"--cpu-period", "cpu"});
  if (h.pids_limit && *h.pids_limit > 0) out.push_back({"--pids-limit", "pids"});
  return out;
}

// Docker ignores limits rootless where it cannot apply them; berth says so.
Status check_rootless_limits(const HostConfig& h, const ResourcePolicy& policy) {
  auto limits = set_limits(h);
  if (limits.empty()) return {};
  if (policy.delegated_cgroup.empty())
    return fail_msg(std::string(limits.front().flag) +
                    ": resource limits need cgroup v2 controllers delegated to the user, and "
                    "this rootless setup has none (`berth system check` tells how to enable "
                    "them); berth does not ignore limits silently");
  const auto& have = policy.controllers;
  for (const auto& limit : limits) {
    if (std::find(have.begin(), have.end(), limit.controller) != have.end()) continue;
    return fail_msg(std::string(limit.flag) + ": the " + limit.controller +
                    " controller is not delegated to this user (cgroup " +
                    quote(policy.delegated_cgroup) + " offers " +
                    (have.empty() ? std::string("none") : join(have, " ")) +
                    "; `berth system check` tells how to delegate it); berth does not ignore "
                    "limits silently");
  }
  return {};
}

const std::set<std::string> kUlimitNames = {
    "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
    "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",
};

const std::set<std::string> kIpcSysctls = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

bool sysctl_exists(const std::string& key) {
  std::string path = "/proc/sys/" + key;
  std::replace(path.begin() + 10, path.end(), '.', '/');
  return ::access(path.c_str(), F_OK) == 0;
}

uint64_t rlimit_value(int64_t v) {
  return v < 0 ? UINT64_MAX : static_cast<uint64_t>(v);
}

}  // namespace

bool sets_limits(const HostConfig& host) {
  return !set_limits(host).empty();
}

Result<json> container_resources(const HostConfig& h, const ResourcePolicy& policy) {
  BERTH_CHECK(check_limits(h));
  json r = json::object();
  if (policy.rootless) {
    BERTH_CHECK(check_rootless_limits(h, policy));
    if (!sets_limits(h)) return r;
  }
  json memory = json::object();
  if (h.memory != 0) memory["limit"] = h.memory;
  if (h.memory_swap != 0) memory["swap"] = h.memory_swap;
  if (!memory.empty()) r["memory"] = memory;
  json cpu = json::object();
  if (h.cpu_shares != 0) cpu["shares"] = h.cpu_shares;
  if (h.nano_cpus != 0) {
    cpu["period"] = kCpuPeriod;
    cpu["quota"] = h.nano_cpus * kCpuPeriod / 1000000000;
  } else {
    if (h.cpu_period != 0) cpu["period"] = h.cpu_period;
    if (h.cpu_quota != 0) cpu["quota"] = h.cpu_quota;
  }
  if (!cpu.empty()) r["cpu"] = cpu;
  // Rootless, "unlimited" is what the container has anyway, with or without a pids controller.
  if (h.pids_limit && (!policy.rootless || *h.pids_limit > 0))
    r["pids"] = {{"limit", *h.pids_limit > 0 ? *h.pids_limit : -1}};
  return r;
}

Result<json> container_rlimits(const std::vector<Ulimit>& ulimits) {
  json out = json::array();
  for (const auto& u : ulimits) {
    if (!kUlimitNames.count(u.name)) return fail_msg("invalid ulimit type: " + u.name);
    if (u.soft < -1 || u.hard < -1)
      return fail_msg("invalid ulimit " + u.name + ": limits must be -1 (unlimited) or more");
    if (rlimit_value(u.soft) > rlimit_value(u.hard))
      return fail_msg("ulimit soft limit must be less than or equal to hard limit: " +
                      std::to_string(u.soft) + " > " + std::to_string(u.hard));
    std::string type = "RLIMIT_";
    for (char c : u.name) type += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back({{"type", type}, {"soft", rlimit_value(u.soft)}, {"hard", rlimit_value(u.hard)}});
  }
  return out;
}

Result<std::map<std::string, std::string>> container_sysctls(
    const std::map<std::string, std::string>& requested, const SysctlNamespaces& ns) {
  std::map<std::string, std::string> out;
  if (ns.network) {
    if (!ns.user && sysctl_exists("net.ipv4.ping_group_range"))
      out["net.ipv4.ping_group_range"] = "0 2147483647";
    if (sysctl_exists("net.ipv4.ip_unprivileged_port_start"))
      out["net.ipv4.ip_unprivileged_port_start"] = "0";
  }
  for (const auto& [key, value] : requested) {
    auto refuse = [&](const std::string& flag) {
      return fail_msg("sysctl " + quote(key) + " is not allowed with " + flag +
                      ": it would change the host's");
    };
    if (key.starts_with("net.")) {
      if (!ns.network) return refuse("--network host");
    } else if (kIpcSysctls.count(key) || key.starts_with("fs.mqueue.")) {
      if (!ns.ipc) return refuse("--ipc host");
    } else if (key == "kernel.domainname" || key == "kernel.hostname") {
      if (!ns.uts) return refuse("--uts host");
    } else {
      return fail_msg("sysctl " + quote(key) +
                      " is not in a kernel namespace of the container's, so it may not be set");
    }
    out[key] = value;
  }
  return out;
}

Status check_oom_score_adj(int value) {
  if (value < -1000 || value > 1000)
    return fail_msg("Invalid value " + std::to_string(value) +
                    ", range for oom score adj is [-1000, 1000]");
  return {};
}

}  // namespace berth::engine
