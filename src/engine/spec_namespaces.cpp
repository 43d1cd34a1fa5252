#include "engine/spec_namespaces.hpp"

namespace berth::engine {

namespace {

Error not_yet(const std::string& flag, const std::string& mode) {
  return plain_error(flag + " " + mode + ": joining another container's namespace is not " +
                     "supported yet");
}

}  // namespace

std::vector<std::string> NamespacePlan::types() const {
  std::vector<std::string> out;
  if (pid) out.push_back("pid");
  if (network) out.push_back("network");
  if (ipc) out.push_back("ipc");
  if (uts) out.push_back("uts");
  out.push_back("mount");
  if (cgroup) out.push_back("cgroup");
  if (user) out.push_back("user");
  return out;
}

Result<NamespacePlan> plan_namespaces(const HostConfig& host, bool user_namespace) {
  NamespacePlan p;
  p.user = user_namespace;

  const auto& net = host.network_mode;
  if (net == "host") {
    p.network = false;
  } else if (net.starts_with("container:")) {
    return fail(not_yet("--network", net));
  } else if (!net.empty() && net != "default" && net != "bridge" && net != "none") {
    return fail_msg("network " + quote(net) +
                    " not found: only the default network, host and none exist yet");
  }

  const auto& pid = host.pid_mode;
  if (pid == "host") {
    p.pid = false;
  } else if (pid.starts_with("container:")) {
    return fail(not_yet("--pid", pid));
  } else if (!pid.empty()) {
    return fail_msg("invalid PID mode: " + quote(pid));
  }

  const auto& ipc = host.ipc_mode;
  if (ipc == "host") {
    p.ipc = false;
  } else if (ipc.starts_with("container:")) {
    return fail(not_yet("--ipc", ipc));
  } else if (!ipc.empty() && ipc != "private" && ipc != "shareable" && ipc != "none") {
    return fail_msg("invalid IPC mode: " + quote(ipc));
  }

  const auto& uts = host.uts_mode;
  if (uts == "host") {
    p.uts = false;
  } else if (!uts.empty()) {
    return fail_msg("invalid UTS mode: " + quote(uts));
  }

  const auto& cgroupns = host.cgroupns_mode;
  if (cgroupns == "host") {
    p.cgroup = false;
  } else if (!cgroupns.empty() && cgroupns != "private") {
    return fail_msg("invalid cgroup namespace mode: " + quote(cgroupns));
  }
  return p;
}

}  // namespace berth::engine
