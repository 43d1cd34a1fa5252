#include "runtime/cgroups/move_primer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <thread>

#include "base/fs.hpp"

namespace berth::runtime::cgroups {

namespace {

// "/sys/fs/cgroup/devices<path>/cgroup.procs" from /proc/self/cgroup's line "N:devices:<path>";
// empty when there is none.
std::string own_devices_procs() {
  auto text = fs::read_file("/proc/self/cgroup");
  if (!text) return {};
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find(':');
    auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    if (line.compare(first + 1, second - first - 1, "devices") != 0) continue;
    std::string path = line.substr(second + 1);
    if (path.empty() || path[0] != '/' || path.find("/..") != std::string::npos) return {};
    return "/sys/fs/cgroup/devices" + (path == "/" ? std::string() : path) + "/cgroup.procs";
  }
  return {};
}

}  // namespace

void prime_cgroup_moves() {
  std::string procs = own_devices_procs();
  if (procs.empty()) return;
  std::thread([procs = std::move(procs)] {
    int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    // "0" is the writer's own process.
    [[maybe_unused]] ssize_t n = ::write(fd, "0", 1);
    ::close(fd);
  }).detach();
}

}  // namespace berth::runtime::cgroups
