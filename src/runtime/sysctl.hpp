#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/error.hpp"

namespace berth::runtime {

// Checks that each key may be set: namespaced sysctls only, and only with their namespace
// new (net.* with a network namespace, kernel.shm*/msg*/sem and fs.mqueue.* with ipc,
// kernel.hostname/domainname with uts).
Status validate_sysctls(const std::map<std::string, std::string>& sysctls, uint64_t new_ns_flags);
// Writes each under /proc/sys of the container (after pivot_root, before /proc/sys is read-only).
Status apply_sysctls(const std::map<std::string, std::string>& sysctls);

}  // namespace berth::runtime
