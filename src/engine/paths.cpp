#include "engine/paths.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "base/fs.hpp"

namespace berth::engine {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::string();
}

std::string home_dir() {
  std::string home = env_or_empty("HOME");
  if (!home.empty()) return home;
  struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr && pw->pw_dir != nullptr ? pw->pw_dir : "/";
}

std::string xdg(const char* name, const char* fallback_under_home) {
  std::string v = env_or_empty(name);
  return !v.empty() ? v : home_dir() + "/" + fallback_under_home;
}

}  // namespace

bool in_user_namespace() {
  // The host's namespace maps every id to itself: "0 0 4294967295".
  auto map = fs::read_file("/proc/self/uid_map");
  if (!map) return false;
  std::istringstream in(*map);
  std::string inside, outside, count, more;
  in >> inside >> outside >> count;
  return !(inside == "0" && outside == "0" && count == "4294967295" && !(in >> more));
}

bool running_rootless() {
  return ::geteuid() != 0 || in_user_namespace();
}

Paths default_paths(bool rootless) {
  Paths p;
  p.client_dir = xdg("XDG_CONFIG_HOME", ".config") + "/berth";
  if (!rootless) {
    p.data_root = "/var/lib/berth";
    p.exec_root = "/run/berth";
    p.config_file = "/etc/berth/daemon.json";
    return p;
  }
  p.data_root = xdg("XDG_DATA_HOME", ".local/share") + "/berth";
  std::string runtime_dir = env_or_empty("XDG_RUNTIME_DIR");
  p.exec_root =
      !runtime_dir.empty() ? runtime_dir + "/berth" : "/tmp/berth-" + std::to_string(::geteuid());
  p.config_file = xdg("XDG_CONFIG_HOME", ".config") + "/berth/daemon.json";
  return p;
}

}  // namespace berth::engine
