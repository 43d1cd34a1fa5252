#include "engine/spec_default_mounts.hpp"

#include <algorithm>
#include <set>

#include "engine/container_defaults.hpp"

namespace berth::engine {

namespace {

size_t depth(const std::string& path) {
  return static_cast<size_t>(std::count(path.begin(), path.end(), '/'));
}

void drop_option(MountEntry& m, const std::string& option) {
  m.options.erase(std::remove(m.options.begin(), m.options.end(), option), m.options.end());
}

std::vector<MountEntry> system_mounts(const DefaultMountOptions& o) {
  int64_t shm = o.shm_size > 0 ? o.shm_size : kDefaultShmSize;
  std::vector<MountEntry> m = {
      {"proc", "proc", "/proc", {"nosuid", "noexec", "nodev"}},
      {"tmpfs", "tmpfs", "/dev", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"devpts",
       "devpts",
       "/dev/pts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"sysfs", "sysfs", "/sys", {"nosuid", "noexec", "nodev", "ro"}},
      {"cgroup", "cgroup", "/sys/fs/cgroup", {"ro", "nosuid", "noexec", "nodev"}},
      {"mqueue", "mqueue", "/dev/mqueue", {"nosuid", "noexec", "nodev"}},
  };
  if (o.ipc_mode == "host") {
    m.push_back({"bind", "/dev/shm", "/dev/shm", {"rbind", "rprivate"}});
  } else if (o.ipc_mode != "none") {
    m.push_back({"tmpfs",
                 "shm",
                 "/dev/shm",
                 {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(shm)}});
  }
  if (o.privileged) {
    for (auto& e : m)
      if (e.destination == "/sys" || e.type == "cgroup") drop_option(e, "ro");
  }
  if (o.readonly_rootfs) {
    static const std::set<std::string> api = {"/proc", "/dev/pts", "/dev/shm", "/dev/mqueue",
                                              "/dev"};
    for (auto& e : m)
      if (!api.count(e.destination) &&
          std::find(e.options.begin(), e.options.end(), "ro") == e.options.end())
        e.options.push_back("ro");
  }
  return m;
}

}  // namespace

std::vector<MountEntry> container_mounts(const DefaultMountOptions& options,
                                         std::vector<MountEntry> user_mounts) {
  std::set<std::string> user_dests;
  for (const auto& m : user_mounts) user_dests.insert(m.destination);
  bool user_dev = user_dests.count("/dev") > 0;
  std::vector<MountEntry> out;
  for (auto& m : system_mounts(options)) {
    if (user_dests.count(m.destination)) continue;
    if (user_dev && m.destination.starts_with("/dev/")) continue;
    out.push_back(std::move(m));
  }
  std::stable_sort(user_mounts.begin(), user_mounts.end(),
                   [](const MountEntry& a, const MountEntry& b) {
                     return depth(a.destination) < depth(b.destination);
                   });
  for (auto& m : user_mounts) out.push_back(std::move(m));
  return out;
}

}  // namespace berth::engine
