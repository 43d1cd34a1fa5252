#include "base/fs.hpp"
#include "runtime/cgroups/cgroup.hpp"
#include "runtime/cgroups/hybrid.hpp"
#include "runtime/cgroups/path.hpp"
#include "runtime/cgroups/systemd_path.hpp"
#include "runtime/cgroups/v1.hpp"
#include "runtime/cgroups/v2.hpp"

namespace berth::runtime::cgroups {

namespace {

constexpr const char* kV2Mount = "/sys/fs/cgroup";
constexpr const char* kHybridMount = "/sys/fs/cgroup/unified";

Result<std::vector<ProcCgroupLine>> own_cgroups() {
  return parse_proc_cgroup(BERTH_TRY(fs::read_file("/proc/self/cgroup")));
}

std::string own_unified(const std::vector<ProcCgroupLine>& own) {
  for (const auto& line : own)
    if (line.hierarchy == 0 && line.controllers.empty()) return line.path;
  return "/";
}

bool absolute(const std::string& path) {
  return !path.empty() && path.front() == '/';
}

Result<std::string> dir_entry(const nlohmann::json& j, const std::string& key) {
  if (!j[key].is_string() || !absolute(j[key].get<std::string>()))
    return fail_msg("cgroup paths: " + quote(key) + ": not an absolute path");
  return j[key].get<std::string>();
}

// Without "unified", rootless could not create the cgroup2 directory.
Result<V2Cgroup> unified(const char* mount, const nlohmann::json& paths, bool rootless,
                         bool enable_controllers) {
  if (!paths.contains("unified")) {
    V2Cgroup v2(mount, "", rootless, enable_controllers);
    v2.mark_unusable();
    return v2;
  }
  V2Cgroup v2(mount, BERTH_TRY(dir_entry(paths, "unified")), rootless, enable_controllers);
  v2.mark_existing();
  return v2;
}

// The cgroup at a path from requested_path() or SystemdPath::path().
Result<std::unique_ptr<Cgroup>> open_requested(const std::string& requested, bool rootless) {
  auto mode = BERTH_TRY(detect_mode());
  if (mode == Mode::v2) {
    std::string dir;
    if (absolute(requested)) {
      dir = container_dir(kV2Mount, "/", requested);
    } else {
      // Our own cgroup most likely holds processes, so no controller can be enabled below it:
      // relative paths go under its parent, as runc does.
      auto own = BERTH_TRY(own_cgroups());
      dir = container_dir(kV2Mount, fs::dirname(clean_path("/" + own_unified(own))), requested);
    }
    return std::make_unique<V2Cgroup>(kV2Mount, dir, rootless, true);
  }
  auto own = BERTH_TRY(own_cgroups());
  auto hierarchies = BERTH_TRY(v1_hierarchies(own, requested));
  V1Cgroup v1(std::move(hierarchies), rootless);
  if (mode == Mode::v1) return std::make_unique<V1Cgroup>(std::move(v1));
  V2Cgroup v2(kHybridMount, container_dir(kHybridMount, own_unified(own), requested), rootless,
              false);
  return std::make_unique<HybridCgroup>(std::move(v1), std::move(v2));
}

}  // namespace

Result<std::unique_ptr<Cgroup>> open(const std::string& cgroups_path,
                                     const std::string& container_id, bool rootless,
                                     bool systemd_cgroup) {
  if (!systemd_cgroup)
    return open_requested(BERTH_TRY(requested_path(cgroups_path, container_id, false)), rootless);
  // Where systemd runs, no transient unit is registered (no D-Bus): dirs are made directly.
  auto sd = BERTH_TRY(systemd_path(cgroups_path, container_id, rootless));
  return with_slice_cleanup(BERTH_TRY(open_requested(sd.path(), rootless)), sd.slice);
}

Result<std::unique_ptr<Cgroup>> load(const nlohmann::json& paths, bool rootless) {
  if (!paths.is_object() || !paths.contains("mode") || !paths["mode"].is_string())
    return fail_msg("cgroup paths: no \"mode\"");
  if (paths.contains(kSystemdSlicesKey)) {
    const auto& slices = paths[kSystemdSlicesKey];
    std::vector<std::string> created;
    if (slices.is_array())
      for (const auto& dir : slices)
        if (dir.is_string() && absolute(dir.get<std::string>()))
          created.push_back(dir.get<std::string>());
    if (created.size() != slices.size())
      return fail_msg("cgroup paths: " + quote(kSystemdSlicesKey) +
                      ": not a list of absolute paths");
    auto rest = paths;
    rest.erase(kSystemdSlicesKey);
    return reopen_with_slice_cleanup(BERTH_TRY(load(rest, rootless)), std::move(created));
  }
  auto mode = paths["mode"].get<std::string>();
  if (mode == "v2")
    return std::make_unique<V2Cgroup>(BERTH_TRY(unified(kV2Mount, paths, rootless, true)));
  if (mode != "v1" && mode != "hybrid") return fail_msg("cgroup paths: bad mode " + quote(mode));
  std::vector<V1Hierarchy> hierarchies;
  for (const auto& [name, value] : paths.items()) {
    if (name == "mode" || name == "unified") continue;
    V1Hierarchy h;
    h.name = name;
    h.dir = BERTH_TRY(dir_entry(paths, name));
    size_t pos = 0;
    while (pos <= name.size()) {
      size_t end = name.find(',', pos);
      if (end == std::string::npos) end = name.size();
      h.controllers.push_back(name.substr(pos, end - pos));
      pos = end + 1;
    }
    hierarchies.push_back(std::move(h));
  }
  V1Cgroup v1(std::move(hierarchies), rootless);
  if (mode == "v1") return std::make_unique<V1Cgroup>(std::move(v1));
  return std::make_unique<HybridCgroup>(std::move(v1),
                                        BERTH_TRY(unified(kHybridMount, paths, rootless, false)));
}

}  // namespace berth::runtime::cgroups
