#include "runtime/capabilities.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "base/fs.hpp"

namespace berth::runtime {

namespace {

// Indexed by capability number (linux/capability.h).
constexpr std::array<std::string_view, 41> cap_names = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
static_assert(cap_names.size() == CAP_CHECKPOINT_RESTORE + 1);

constexpr std::array<std::string_view, 14> docker_defaults = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

constexpr uint64_t bit(int cap) {
  return uint64_t{1} << cap;
}

std::string cap_label(int cap) {
  if (static_cast<size_t>(cap) < cap_names.size()) return std::string(cap_names[cap]);
  return "capability " + std::to_string(cap);
}

bool kernel_knows(int cap) {
  return ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0;
}

int probe_last_capability() {
  int last = static_cast<int>(cap_names.size()) - 1;
  if (kernel_knows(last)) {
    while (last < 63 && kernel_knows(last + 1)) ++last;
    return last;
  }
  while (last > 0 && !kernel_knows(last)) --last;
  return last;
}

}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
  for (size_t i = 0; i < cap_names.size(); ++i) {
    if (cap_names[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::string_view capability_name(int cap) {
  if (cap < 0 || static_cast<size_t>(cap) >= cap_names.size()) return {};
  return cap_names[cap];
}

int kernel_last_capability() {
  static const int last = probe_last_capability();
  return last;
}

Result<uint64_t> resolve_capability_set(const std::vector<std::string>& names,
                                        std::string_view field) {
  uint64_t mask = 0;
  for (const auto& name : names) {
    auto cap = capability_from_name(name);
    if (!cap) {
      return fail_msg(std::string(field) + ": unknown capability " + quote(name));
    }
    if (*cap > kernel_last_capability()) continue;
    mask |= bit(*cap);
  }
  return mask;
}

Result<CapSets> resolve_capabilities(const Capabilities& caps) {
  CapSets sets;
  sets.bounding = BERTH_TRY(resolve_capability_set(caps.bounding, "process.capabilities.bounding"));
  sets.effective =
      BERTH_TRY(resolve_capability_set(caps.effective, "process.capabilities.effective"));
  sets.inheritable =
      BERTH_TRY(resolve_capability_set(caps.inheritable, "process.capabilities.inheritable"));
  sets.permitted =
      BERTH_TRY(resolve_capability_set(caps.permitted, "process.capabilities.permitted"));
  sets.ambient = BERTH_TRY(resolve_capability_set(caps.ambient, "process.capabilities.ambient"));
  return sets;
}

Status drop_bounding_set(const CapSets& sets) {
  const int last = kernel_last_capability();
  for (int cap = 0; cap <= last; ++cap) {
    if (sets.bounding & bit(cap)) continue;
    int in_set = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (in_set < 0) return fail_sys("prctl PR_CAPBSET_READ " + cap_label(cap));
    if (in_set == 0) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      return fail_sys("prctl PR_CAPBSET_DROP " + cap_label(cap));
    }
  }
  return {};
}

Status apply_capabilities(const CapSets& sets) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
    data[i].effective = static_cast<uint32_t>(sets.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(sets.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(sets.inheritable >> (32 * i));
  }
  if (::syscall(SYS_capset, &header, data) < 0) return fail_sys("capset");

  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
    // Kernels before 4.3 have no ambient set: nothing to clear, nothing can be raised.
    if (errno == EINVAL && sets.ambient == 0) return {};
    return fail_sys("prctl PR_CAP_AMBIENT_CLEAR_ALL");
  }
  const uint64_t raisable = sets.ambient & sets.permitted & sets.inheritable;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(raisable & bit(cap))) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
      return fail_sys("prctl PR_CAP_AMBIENT_RAISE " + cap_label(cap));
    }
  }
  return {};
}

std::vector<std::string> all_capability_names() {
  return {cap_names.begin(), cap_names.end()};
}

std::vector<std::string> docker_default_capabilities() {
  return {docker_defaults.begin(), docker_defaults.end()};
}

std::vector<std::string> capability_names(uint64_t mask) {
  std::vector<std::string> names;
  for (int cap = 0; cap < 64; ++cap) {
    if (mask & bit(cap)) names.push_back(cap_label(cap));
  }
  return names;
}

std::optional<uint64_t> own_capability_set(std::string_view key) {
  auto status = fs::read_file("/proc/self/status");
  if (!status) return std::nullopt;
  std::string label = "\n" + std::string(key) + ":";
  auto at = status->find(label);
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(status->c_str() + at + label.size(), nullptr, 16);
}

}  // namespace berth::runtime
