#include "engine/rootless_check.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fs.hpp"

namespace berth::engine {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

probe::Identity nobody() {
  struct passwd* pw = ::getpwnam("nobody");
  if (pw != nullptr) return {pw->pw_uid, pw->pw_gid};
  return {65534, 65534};
}

}  // namespace

CheckInputs current_user_inputs(const std::string& data_root) {
  CheckInputs in;
  in.uid = ::geteuid();
  in.gid = ::getegid();
  struct passwd* pw = ::getpwuid(in.uid);
  in.user = pw != nullptr && pw->pw_name != nullptr ? pw->pw_name : std::to_string(in.uid);
  in.path_env = env("PATH");
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR")) in.xdg_runtime_dir = xdg;
  if (in.uid == 0)
    in.probe_as = nobody();  // root's own probes would pass where no ordinary user's does
  else if (!data_root.empty() && fs::exists(data_root))
    in.probe_parent = data_root;  // the filesystem berth's layers will be on
  return in;
}

std::vector<CheckResult> rootless_checks(const CheckInputs& in) {
  return {
      check_id_map_binaries(in.path_env),
      check_subordinate_ids("uids", in.subuid_file, in.subgid_file, in.user, in.uid),
      check_subordinate_ids("gids", in.subgid_file, in.subuid_file, in.user, in.uid),
      check_user_namespaces(in.probe_as, in.proc_sys),
      check_overlay_in_user_namespace(in.probe_parent, in.probe_as),
      check_cgroup_delegation(),
      check_xdg_runtime_dir(in.xdg_runtime_dir, in.user, in.uid),
  };
}

std::optional<std::string> read_sysctl(const std::string& proc_sys, std::string name) {
  for (auto& c : name)
    if (c == '.') c = '/';
  auto text = fs::read_file(fs::join(proc_sys, name));
  if (!text) return std::nullopt;
  auto first = text->find_first_not_of(" \t\n");
  if (first == std::string::npos) return std::string();
  return text->substr(first, text->find_last_not_of(" \t\n") - first + 1);
}

}  // namespace berth::engine
