#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "engine/container_config.hpp"

// Limits: cgroup resources, rlimits, sysctls and the OOM score, checked as the Docker daemon
// checks them.
namespace berth::engine {

struct ResourcePolicy {
  bool rootless = false;
  // Rootless only: the cgroup v2 the user owns (empty: none), and the controllers it gives
  // containers.
  std::string delegated_cgroup;
  std::vector<std::string> controllers;
};

// Whether any cgroup limit (memory, cpu, pids) is set.
bool sets_limits(const HostConfig& host);

// linux.resources without its devices: memory, cpu, pids; an empty object when nothing is set.
// Rootless, a limit whose controller is not delegated is an error naming its flag.
Result<nlohmann::json> container_resources(const HostConfig& host, const ResourcePolicy& policy);

// process.rlimits from HostConfig.Ulimits ("nofile" -> RLIMIT_NOFILE; -1 is unlimited).
Result<nlohmann::json> container_rlimits(const std::vector<Ulimit>& ulimits);

// The namespaces a container gets of its own, which decide the sysctls it may set.
struct SysctlNamespaces {
  bool network = true;
  bool ipc = true;
  bool uts = true;
  bool user = false;  // a user namespace: no net.ipv4.ping_group_range default
};

// linux.sysctl: Docker's defaults for a network namespace of its own (unprivileged ping, ports
// below 1024 without CAP_NET_BIND_SERVICE), then HostConfig.Sysctls. Only sysctls of a namespace
// the container owns are allowed: `sysctl "net.ipv4.ip_forward" is not allowed with --network
// host: it would change the host's`.
Result<std::map<std::string, std::string>> container_sysctls(
    const std::map<std::string, std::string>& requested, const SysctlNamespaces& ns);

Status check_oom_score_adj(int value);

}  // namespace berth::engine
