#include "runtime/cgroup_mount.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <vector>

#include "base/fs.hpp"
#include "base/root_path.hpp"
#include "base/strings.hpp"
#include "base/syscalls.hpp"
#include "runtime/cgroups/path.hpp"
#include "runtime/mount_fd.hpp"

namespace berth::runtime {

namespace {

struct CgroupLine {
  std::string controllers;  // "cpu,cpuacct", "name=systemd", "" for cgroup2
  std::string path;
};

Result<std::vector<CgroupLine>> own_cgroups() {
  auto text = BERTH_TRY(fs::read_file("/proc/self/cgroup"));
  std::vector<CgroupLine> out;
  for (const auto& line : BERTH_TRY(cgroups::parse_proc_cgroup(text))) {
    std::string joined;
    for (const auto& c : line.controllers) joined += (joined.empty() ? "" : ",") + c;
    out.push_back({joined, line.path});
  }
  return out;
}

std::string cgroup_path_of(const std::vector<CgroupLine>& lines, const std::string& controllers) {
  for (const auto& l : lines)
    if (l.controllers == controllers) return l.path;
  return "/";
}

bool is_fs(const std::string& path, long magic) {
  struct statfs sfs;
  return ::statfs(path.c_str(), &sfs) == 0 && sfs.f_type == magic;
}

Status mount_cgroup2(const CgroupMount& m) {
  auto r = mount_fd::mount_fs("cgroup2", m.target_fd, m.destination, "cgroup2", m.flags, "");
  if (r || (r.error().errno_value != EPERM && r.error().errno_value != EBUSY)) return r;
  // A user namespace without its own cgroup namespace may not mount cgroup2: bind our cgroup.
  auto lines = BERTH_TRY(own_cgroups());
  std::string unified =
      is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC) ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  return mount_fd::bind_host(unified + cgroup_path_of(lines, ""), m.target_fd, m.attr_set,
                             m.attr_clr, m.destination);
}

// "cpu,cpuacct" is reachable as "cpu" and "cpuacct" too, as on the host.
Status link_aliases(int dir_fd, const std::string& name, const std::string& destination) {
  if (name.find(',') == std::string::npos) return {};
  for (const auto& alias : split(name, ',')) {
    if (::symlinkat(name.c_str(), dir_fd, alias.c_str()) < 0 && errno != EEXIST)
      return fail_sys("symlink " + quote(destination + "/" + alias));
  }
  return {};
}

// cgroup v1 (and hybrid): a tmpfs holding one directory per hierarchy, each the hierarchy
// mounted anew in a cgroup namespace or else our own cgroup of it bound from the host, and the
// unified cgroup2 hierarchy at "unified" when the host has one.
Status mount_cgroup_v1(const CgroupMount& m) {
  BERTH_CHECK(mount_fd::mount_fs(
      "tmpfs", m.target_fd, m.destination, "tmpfs",
      (m.flags & ~static_cast<unsigned long>(MS_RDONLY)) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
      "mode=755"));
  auto dir = BERTH_TRY(root_path::open(m.root_fd, m.destination, O_PATH | O_DIRECTORY));
  auto lines = BERTH_TRY(own_cgroups());
  for (const auto& l : lines) {
    std::string name = l.controllers, type = "cgroup", data = l.controllers;
    if (name.empty()) {
      name = "unified";
      type = "cgroup2";
      data.clear();
      if (!is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) continue;
    } else if (name.starts_with("name=")) {
      name = name.substr(5);
    }
    std::string host = "/sys/fs/cgroup/" + name + l.path;
    std::string dest = m.destination + "/" + name;
    if (::mkdirat(dir.get(), name.c_str(), 0755) < 0 && errno != EEXIST)
      return fail_sys("mkdir " + quote(dest));
    auto sub = BERTH_TRY(sys::openat(dir.get(), name, O_PATH | O_DIRECTORY | O_NOFOLLOW));
    if (m.own_namespace) {
      BERTH_CHECK(mount_fd::mount_fs(type, sub.get(), dest, type, m.flags, data));
    } else {
      auto tree = mount_fd::clone_tree(AT_FDCWD, host, false, false, host);
      if (!tree && tree.error().errno_value == ENOENT) continue;  // not at its usual place
      if (!tree) return fail(tree.error());
      BERTH_CHECK(mount_fd::set_attrs(tree->get(), m.attr_set, m.attr_clr, false, dest));
      BERTH_CHECK(mount_fd::attach(tree->get(), sub.get(), dest));
    }
    BERTH_CHECK(link_aliases(dir.get(), name, m.destination));
  }
  if (m.flags & MS_RDONLY) {
    auto top = BERTH_TRY(root_path::open(m.root_fd, m.destination, O_PATH | O_DIRECTORY));
    BERTH_CHECK(mount_fd::set_attrs(top.get(), MOUNT_ATTR_RDONLY, 0, false, m.destination));
  }
  return {};
}

}  // namespace

Status mount_cgroups(const CgroupMount& m) {
  if (m.type == "cgroup2" || is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) return mount_cgroup2(m);
  return mount_cgroup_v1(m);
}

}  // namespace berth::runtime
