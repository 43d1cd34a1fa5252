#include "runtime/sysctl.hpp"

#include <sched.h>

#include <algorithm>

#include "base/fs.hpp"

namespace berth::runtime {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

Status validate_sysctls(const std::map<std::string, std::string>& sysctls, uint64_t flags) {
  static const char* const kIpcKeys[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                         "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                         "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const auto& [key, value] : sysctls) {
    if (key.find("..") != std::string::npos || key.find('/') != std::string::npos)
      return fail_msg("linux.sysctl: invalid key " + quote(key));
    bool ipc =
        starts_with(key, "fs.mqueue.") || std::any_of(std::begin(kIpcKeys), std::end(kIpcKeys),
                                                      [&](const char* k) { return key == k; });
    if (ipc) {
      if (!(flags & CLONE_NEWIPC))
        return fail_msg("linux.sysctl: " + quote(key) + " needs a new ipc namespace");
    } else if (starts_with(key, "net.")) {
      if (!(flags & CLONE_NEWNET))
        return fail_msg("linux.sysctl: " + quote(key) + " needs a new network namespace");
    } else if (key == "kernel.hostname" || key == "kernel.domainname") {
      if (!(flags & CLONE_NEWUTS))
        return fail_msg("linux.sysctl: " + quote(key) + " needs a new uts namespace");
    } else {
      return fail_msg("linux.sysctl: " + quote(key) +
                      " is not namespaced and cannot be set in a container");
    }
  }
  return {};
}

Status apply_sysctls(const std::map<std::string, std::string>& sysctls) {
  for (const auto& [key, value] : sysctls) {
    std::string path = "/proc/sys/" + key;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    if (auto r = fs::write_file(path, value); !r) return fail(r.error().wrap("sysctl " + key));
  }
  return {};
}

}  // namespace berth::runtime
