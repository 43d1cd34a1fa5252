#include "runtime/cgroups/path.hpp"

#include <charconv>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "runtime/cgroups/systemd_path.hpp"

namespace berth::runtime::cgroups {

std::string clean_path(const std::string& path) {
  bool absolute = !path.empty() && path.front() == '/';
  std::vector<std::string> parts;
  for (auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(std::move(part));
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out;
}

Result<std::string> requested_path(const std::string& cgroups_path, const std::string& container_id,
                                   bool systemd_cgroup) {
  // The root's default slice; open() calls systemd_path() itself, with rootless.
  if (systemd_cgroup) return BERTH_TRY(systemd_path(cgroups_path, container_id, false)).path();
  if (cgroups_path.empty()) {
    auto id = clean_path(container_id);
    if (id.empty() || id.front() == '/' || id.find('/') != std::string::npos)
      return fail_msg("cgroup for container " + quote(container_id) + ": not a valid cgroup name");
    return id;
  }
  if (is_systemd_form(cgroups_path))
    return fail_msg("cgroupsPath " + quote(cgroups_path) +
                    ": systemd form (slice:prefix:name) needs --systemd-cgroup");
  auto clean = clean_path(cgroups_path);
  if (clean.empty() || clean == "/")
    return fail_msg("cgroupsPath " + quote(cgroups_path) + ": names the root cgroup");
  return clean;
}

Result<std::vector<ProcCgroupLine>> parse_proc_cgroup(const std::string& text) {
  std::vector<ProcCgroupLine> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) return fail_msg("/proc/self/cgroup: bad line " + quote(line));
    ProcCgroupLine entry;
    auto [p, ec] = std::from_chars(line.data(), line.data() + c1, entry.hierarchy);
    if (ec != std::errc() || p != line.data() + c1)
      return fail_msg("/proc/self/cgroup: bad line " + quote(line));
    std::string controllers = line.substr(c1 + 1, c2 - c1 - 1);
    size_t cpos = 0;
    while (cpos < controllers.size()) {
      size_t cend = controllers.find(',', cpos);
      if (cend == std::string::npos) cend = controllers.size();
      if (cend > cpos) entry.controllers.push_back(controllers.substr(cpos, cend - cpos));
      cpos = cend + 1;
    }
    entry.path = line.substr(c2 + 1);
    lines.push_back(std::move(entry));
  }
  return lines;
}

std::string container_dir(const std::string& mount_dir, const std::string& own_path,
                          const std::string& requested) {
  if (!requested.empty() && requested.front() == '/') return fs::join(mount_dir, requested);
  return fs::join(fs::join(mount_dir, clean_path("/" + own_path)), requested);
}

}  // namespace berth::runtime::cgroups
