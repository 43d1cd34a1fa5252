#include "runtime/cgroups/v1.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <optional>

#include "base/fs.hpp"
#include "runtime/cgroups/tree.hpp"

namespace berth::runtime::cgroups {

namespace {

constexpr auto kFreezeTimeout = std::chrono::seconds(10);

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(sep, pos);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// Only when a hierarchy is not under /sys/fs/cgroup by its usual name.
std::optional<std::string> mountpoint_from_mountinfo(const std::vector<std::string>& controllers) {
  auto text = fs::read_file("/proc/self/mountinfo");
  if (!text) return std::nullopt;
  for (const auto& line : split(*text, '\n')) {
    auto sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    auto left = split(line.substr(0, sep), ' ');
    auto right = split(line.substr(sep + 3), ' ');
    if (left.size() < 5 || right.size() < 3 || right[0] != "cgroup") continue;
    auto options = split(right[2], ',');
    bool all = std::all_of(controllers.begin(), controllers.end(), [&](const std::string& c) {
      return std::find(options.begin(), options.end(), c) != options.end();
    });
    if (all) return left[4];
  }
  return std::nullopt;
}

std::optional<std::string> mountpoint(const ProcCgroupLine& line) {
  std::string joined;
  for (const auto& c : line.controllers) joined += (joined.empty() ? "" : ",") + c;
  std::string name = joined.rfind("name=", 0) == 0 ? joined.substr(5) : joined;
  std::string dir = "/sys/fs/cgroup/" + name;
  if (is_dir(dir)) return dir;
  for (const auto& c : line.controllers) {
    dir = "/sys/fs/cgroup/" + c;
    if (is_dir(dir)) return dir;
  }
  return mountpoint_from_mountinfo(line.controllers);
}

}  // namespace

Result<std::vector<V1Hierarchy>> v1_hierarchies(const std::vector<ProcCgroupLine>& own,
                                                const std::string& requested) {
  std::vector<V1Hierarchy> out;
  for (const auto& line : own) {
    if (line.hierarchy == 0 || line.controllers.empty()) continue;
    auto mount = mountpoint(line);
    if (!mount) continue;
    V1Hierarchy h;
    for (const auto& c : line.controllers) h.name += (h.name.empty() ? "" : ",") + c;
    h.controllers = line.controllers;
    h.dir = container_dir(*mount, line.path, requested);
    out.push_back(std::move(h));
  }
  if (out.empty()) return fail_msg("cgroup v1: no hierarchy is mounted under /sys/fs/cgroup");
  return out;
}

const V1Hierarchy* V1Cgroup::find(std::string_view controller) const {
  for (const auto& h : hierarchies_)
    for (const auto& c : h.controllers)
      if (c == controller) return &h;
  return nullptr;
}

V1Hierarchy* V1Cgroup::find(std::string_view controller) {
  return const_cast<V1Hierarchy*>(std::as_const(*this).find(controller));
}

Result<std::string> V1Cgroup::dir_for(std::string_view controller, const std::string& what) {
  const auto* h = find(controller);
  if (h == nullptr && rootless_)
    return fail_msg("cannot set " + what + ": the container has no " + std::string(controller) +
                    " cgroup (rootless, and not delegated)");
  if (h == nullptr)
    return fail_msg("cannot set " + what + ": the " + std::string(controller) +
                    " cgroup controller is not mounted");
  if (!h->usable)
    return fail_msg("cannot set " + what + ": cgroup " + quote(h->dir) +
                    " could not be created or joined (rootless, and not delegated)");
  return h->dir;
}

Status V1Cgroup::fill_cpuset(const std::string& dir) {
  const auto* h = find("cpuset");
  if (h == nullptr) return {};
  std::vector<std::string> chain;
  for (std::string cur = dir; cur.size() > 1 && fs::exists(cur + "/cpuset.cpus");
       cur = fs::dirname(cur))
    chain.push_back(cur);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    for (const char* file : {"/cpuset.cpus", "/cpuset.mems"}) {
      auto mine = BERTH_TRY(read_value(*it + file));
      if (!mine.empty()) continue;
      auto parent = BERTH_TRY(read_value(fs::dirname(*it) + file));
      BERTH_CHECK(fs::write_file(*it + file, parent));
    }
  }
  return {};
}

Status V1Cgroup::fill_new_cpusets(const std::vector<std::string>& created) {
  // A new cpuset cgroup starts with no cpus and mems, and takes no task until it has some: each
  // new directory (outermost first) gets its parent's.
  for (const char* file : {"/cpuset.cpus", "/cpuset.mems"}) {
    auto value = BERTH_TRY(read_value(fs::dirname(created.front()) + file));
    if (value.empty()) return fill_cpuset(created.back());
    for (const auto& dir : created) BERTH_CHECK(fs::write_file(dir + file, value));
  }
  return {};
}

Status V1Cgroup::create() {
  for (auto& h : hierarchies_) {
    std::vector<std::string> created;
    auto made = make_dirs(h.dir, &created);
    if (!made) {
      if (rootless_ && is_permission_errno(made.error().errno_value)) {
        h.usable = false;
        continue;
      }
      return made;
    }
    if (!created.empty() &&
        std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end()) {
      auto filled = fill_new_cpusets(created);
      if (!filled && !(rootless_ && is_permission_errno(filled.error().errno_value))) return filled;
    }
  }
  return {};
}

Status V1Cgroup::add_process(pid_t pid) {
  auto value = std::to_string(pid);
  for (auto& h : hierarchies_) {
    if (!h.usable) continue;
    auto procs = h.dir + "/cgroup.procs";
    auto written = fs::write_file(procs, value);
    if (!written && written.error().errno_value == ENOSPC &&
        std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end()) {
      BERTH_CHECK(fill_cpuset(h.dir));
      written = fs::write_file(procs, value);
    }
    if (!written) {
      int err = written.error().errno_value;
      if (rootless_ && (is_permission_errno(err) || err == ENOENT)) {
        h.usable = false;
        continue;
      }
      return written;
    }
  }
  return {};
}

Status V1Cgroup::freeze() {
  auto dir = BERTH_TRY(dir_for("freezer", "freezer state"));
  auto state = dir + "/freezer.state";
  BERTH_CHECK(fs::write_file(state, "FROZEN"));
  int polls = 0;
  auto done = BERTH_TRY(poll_until(
      [&]() -> Result<bool> {
        auto now = BERTH_TRY(read_value(state));
        if (now == "FROZEN") return true;
        // A freeze can stall behind a task that is itself being frozen or vforked; asking again
        // moves it on.
        if (++polls % 32 == 0) BERTH_CHECK(fs::write_file(state, "FROZEN"));
        return false;
      },
      kFreezeTimeout));
  if (!done) {
    (void)fs::write_file(state, "THAWED");
    return fail_msg("freeze " + quote(dir) + ": still not FROZEN after " +
                    std::to_string(kFreezeTimeout.count()) + "s");
  }
  return {};
}

Status V1Cgroup::thaw() {
  auto dir = BERTH_TRY(dir_for("freezer", "freezer state"));
  auto state = dir + "/freezer.state";
  BERTH_CHECK(fs::write_file(state, "THAWED"));
  auto done = BERTH_TRY(poll_until(
      [&]() -> Result<bool> { return BERTH_TRY(read_value(state)) == "THAWED"; }, kFreezeTimeout));
  if (!done) return fail_msg("thaw " + quote(dir) + ": still not THAWED");
  return {};
}

Result<bool> V1Cgroup::frozen() {
  auto dir = BERTH_TRY(dir_for("freezer", "freezer state"));
  return BERTH_TRY(read_value(dir + "/freezer.state")) == "FROZEN";
}

Result<std::vector<pid_t>> V1Cgroup::pids() {
  const V1Hierarchy* h = find("freezer");
  if (h == nullptr || !h->usable) h = find("pids");
  if (h == nullptr || !h->usable) {
    h = nullptr;
    for (const auto& each : hierarchies_)
      if (each.usable) {
        h = &each;
        break;
      }
  }
  if (h == nullptr) return fail_msg("list processes: no cgroup was created for the container");
  return procs_recursive(h->dir);
}

Status V1Cgroup::destroy() {
  std::optional<Error> first;
  for (const auto& h : hierarchies_) {
    auto removed = remove_tree(h.dir);
    if (removed) continue;
    if (rootless_ && is_permission_errno(removed.error().errno_value)) continue;
    if (!first) first = removed.error();
  }
  if (first) return fail(*first);
  return {};
}

nlohmann::json V1Cgroup::paths() const {
  nlohmann::json j = nlohmann::json::object();
  j["mode"] = "v1";
  for (const auto& h : hierarchies_)
    if (h.usable) j[h.name] = h.dir;
  return j;
}

}  // namespace berth::runtime::cgroups
