#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime::cgroups {

// Access bits, numbered as BPF_DEVCG_ACC_* are.
inline constexpr unsigned kAccessMknod = 1, kAccessRead = 2, kAccessWrite = 4;
inline constexpr unsigned kAccessAll = kAccessMknod | kAccessRead | kAccessWrite;

Result<unsigned> parse_access(const std::string& access);
Status check_device_rule(const DeviceRule& rule);
// The line for devices.allow / devices.deny: "c 1:3 rwm", "b *:* m", "a *:* rwm".
std::string v1_device_line(const DeviceRule& rule);

// A v1 devices cgroup's state: a default and the devices that are the exception to it.
struct DeviceException {
  char type = 'c';                      // 'c' or 'b'
  std::optional<int64_t> major, minor;  // nullopt: any
  unsigned access = kAccessAll;
};
struct DevicePolicy {
  bool default_allow = true;
  std::vector<DeviceException> exceptions;
};
// What the kernel's v1 devices controller ends up with when the rules are written in order into
// a cgroup that allows everything; cgroup v2 (eBPF) gets the same behaviour from this.
Result<DevicePolicy> emulate_v1(const std::vector<DeviceRule>& rules);

// The rules runc gives a container: the spec's, then the devices every container may use
// (null, zero, full, random, urandom, tty, console, ptmx, pts, mknod of any), then one rwm rule per
// linux.devices entry. For create/run; `update` passes the spec's rules alone.
std::vector<DeviceRule> container_device_rules(const std::vector<DeviceRule>& spec_rules,
                                               const std::vector<Device>& linux_devices);

}  // namespace berth::runtime::cgroups
