#include "engine/container_stats.hpp"

#include <algorithm>
#include <sstream>
#include <string>

#include "base/fs.hpp"

namespace berth::engine {
namespace {

std::string dir_of(const nlohmann::json& paths, const char* key) {
  if (!paths.is_object() || !paths.contains(key) || !paths[key].is_string()) return {};
  return paths[key].get<std::string>();
}

uint64_t number_in(const std::string& file) {
  auto text = fs::read_file(file);
  if (!text) return 0;
  try {
    return std::stoull(*text);
  } catch (...) {
    return 0;  // "max", or a missing file
  }
}

// Without the pids controller (a delegated cgroup may lack it), the tasks are counted.
uint64_t v2_tasks(const std::string& dir) {
  if (fs::exists(dir + "/pids.current")) return number_in(dir + "/pids.current");
  auto text = fs::read_file(dir + "/cgroup.threads");
  if (!text) return 0;
  return static_cast<uint64_t>(std::count(text->begin(), text->end(), '\n'));
}

uint64_t host_memory() {
  return fs::keyed_number("/proc/meminfo", "MemTotal:") * 1024;
}

void v1_block_io(const std::string& dir, ContainerStats& s) {
  auto text = fs::read_file(dir + "/blkio.throttle.io_service_bytes");
  if (!text) return;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string device, op;
    uint64_t value = 0;
    if (!(words >> device >> op >> value)) continue;
    if (op == "Read") s.block_read += value;
    if (op == "Write") s.block_write += value;
  }
}

void v2_block_io(const std::string& dir, ContainerStats& s) {
  auto text = fs::read_file(dir + "/io.stat");
  if (!text) return;
  std::istringstream in(*text);
  for (std::string word; in >> word;) {
    if (word.starts_with("rbytes=")) s.block_read += std::stoull(word.substr(7));
    if (word.starts_with("wbytes=")) s.block_write += std::stoull(word.substr(7));
  }
}

void network(pid_t pid, ContainerStats& s) {
  auto text = fs::read_file("/proc/" + std::to_string(pid) + "/net/dev");
  if (!text) return;
  std::istringstream in(*text);
  std::string line;
  std::getline(in, line);
  std::getline(in, line);
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::istringstream fields(line.substr(colon + 1));
    uint64_t v[9] = {};
    for (auto& x : v) fields >> x;
    s.net_rx += v[0];
    s.net_tx += v[8];
  }
}

}  // namespace

Result<ContainerStats> read_container_stats(const nlohmann::json& paths, pid_t pid) {
  ContainerStats s;
  // Hybrid hosts account in v1 where its controllers are; the unified hierarchy holds none.
  if (auto cpu = dir_of(paths, "cpuacct"); !cpu.empty()) {
    s.cpu_ns = number_in(cpu + "/cpuacct.usage");
    std::string mem = dir_of(paths, "memory");
    s.memory_usage = number_in(mem + "/memory.usage_in_bytes");
    uint64_t inactive = fs::keyed_number(mem + "/memory.stat", "total_inactive_file");
    s.memory_usage -= std::min(inactive, s.memory_usage);
    s.memory_limit = number_in(mem + "/memory.limit_in_bytes");
    s.pids = number_in(dir_of(paths, "pids") + "/pids.current");
    v1_block_io(dir_of(paths, "blkio"), s);
  } else if (auto dir = dir_of(paths, "unified"); !dir.empty()) {
    s.cpu_ns = fs::keyed_number(dir + "/cpu.stat", "usage_usec") * 1000;
    s.memory_usage = number_in(dir + "/memory.current");
    uint64_t inactive = fs::keyed_number(dir + "/memory.stat", "inactive_file");
    s.memory_usage -= std::min(inactive, s.memory_usage);
    s.memory_limit = number_in(dir + "/memory.max");
    s.pids = v2_tasks(dir);
    v2_block_io(dir, s);
  } else {
    return fail_msg("stats: the container has no cgroup to read");
  }
  uint64_t host = host_memory();
  if (s.memory_limit == 0 || s.memory_limit > host) s.memory_limit = host;
  network(pid, s);
  return s;
}

}  // namespace berth::engine
