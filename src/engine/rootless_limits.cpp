#include <optional>
#include <sstream>
#include <string>

#include "engine/rootless_check.hpp"

namespace berth::engine {
namespace {

constexpr const char* kPersist = " (to keep it, put the setting in /etc/sysctl.d/99-berth.conf)";

CheckResult low_ports(const std::string& proc_sys) {
  CheckResult r{"privileged ports", false, "", ""};
  auto value = read_sysctl(proc_sys, "net.ipv4.ip_unprivileged_port_start");
  if (!value) {
    r.ok = true;
    r.detail = "no net.ipv4.ip_unprivileged_port_start on this kernel";
    return r;
  }
  if (*value == "0") {
    r.ok = true;
    r.detail = "net.ipv4.ip_unprivileged_port_start=0: any port, on the host network too";
    return r;
  }
  r.detail = "net.ipv4.ip_unprivileged_port_start=" + *value +
             ": a container on the host network (--network host) cannot listen below port " +
             *value + "; in a network of its own it can";
  r.fix = "sudo sysctl -w net.ipv4.ip_unprivileged_port_start=0" + std::string(kPersist);
  return r;
}

CheckResult ping(const std::string& proc_sys, gid_t gid) {
  CheckResult r{"ping", false, "", ""};
  auto value = read_sysctl(proc_sys, "net.ipv4.ping_group_range");
  if (!value) {
    r.ok = true;
    r.detail = "no net.ipv4.ping_group_range on this kernel";
    return r;
  }
  std::istringstream in(*value);
  long long lo = 1, hi = 0;
  in >> lo >> hi;
  const std::string range = std::to_string(lo) + " " + std::to_string(hi);
  if (lo <= static_cast<long long>(gid) && static_cast<long long>(gid) <= hi) {
    r.ok = true;
    r.detail = "net.ipv4.ping_group_range=" + range + " holds gid " + std::to_string(gid);
    return r;
  }
  r.detail = "net.ipv4.ping_group_range=" + range + " leaves out gid " + std::to_string(gid) +
             ": ping fails in a container on the host network; in a network of its own it works";
  r.fix = "sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"" + std::string(kPersist);
  return r;
}

}  // namespace

std::vector<CheckResult> rootless_limits(const CheckInputs& in) {
  return {low_ports(in.proc_sys), ping(in.proc_sys, in.gid)};
}

}  // namespace berth::engine
