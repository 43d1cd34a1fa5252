#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace berth::runtime::cgroups {

// Lexical clean-up of a cgroup path: collapses "//" and ".", resolves ".." without ever going
// above the start, drops a trailing "/". "/a/../b/" -> "/b", "../x" -> "x", "/" -> "/".
std::string clean_path(const std::string& path);

// linux.cgroupsPath (or the container id when empty) as a clean path: "/abs" or "rel".
Result<std::string> requested_path(const std::string& cgroups_path, const std::string& container_id,
                                   bool systemd_cgroup);

// One line of /proc/<pid>/cgroup: "4:memory:/a", "2:cpu,cpuacct:/", "9:name=systemd:/",
// "0::/x" (the cgroup2 hierarchy: no controllers).
struct ProcCgroupLine {
  int hierarchy = 0;
  std::vector<std::string> controllers;
  std::string path;
};
Result<std::vector<ProcCgroupLine>> parse_proc_cgroup(const std::string& text);

// Where the container's cgroup is inside a hierarchy mounted at mount_dir, for a requested
// path from requested_path() and the runtime's own path in that hierarchy.
std::string container_dir(const std::string& mount_dir, const std::string& own_path,
                          const std::string& requested);

}  // namespace berth::runtime::cgroups
