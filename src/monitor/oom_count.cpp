#include "monitor/oom_count.hpp"

#include <string>

#include "base/fs.hpp"

namespace berth::monitor {
namespace {

std::string path_of(const nlohmann::json& paths, const char* key) {
  if (!paths.is_object() || !paths.contains(key) || !paths[key].is_string()) return {};
  return paths[key].get<std::string>();
}

}  // namespace

uint64_t oom_kill_count(const nlohmann::json& cgroup_paths) {
  // Hybrid hosts limit memory through v1, where the kills are counted.
  if (auto v1 = path_of(cgroup_paths, "memory"); !v1.empty())
    return fs::keyed_number(v1 + "/memory.oom_control", "oom_kill");
  if (auto v2 = path_of(cgroup_paths, "unified"); !v2.empty())
    return fs::keyed_number(v2 + "/memory.events", "oom_kill");
  return 0;
}

}  // namespace berth::monitor
