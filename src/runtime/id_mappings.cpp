#include "runtime/id_mappings.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.hpp"

namespace berth::runtime {

std::string format_id_map(const std::vector<IdMapping>& mappings) {
  std::string out;
  for (const auto& m : mappings)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
           std::to_string(m.size) + "\n";
  return out;
}

bool maps_only_own_id(const std::vector<IdMapping>& mappings, uint32_t own_id) {
  return mappings.size() == 1 && mappings[0].size == 1 && mappings[0].host_id == own_id;
}

namespace {

Status run_helper(const char* helper, pid_t pid, const std::vector<IdMapping>& mappings) {
  std::vector<std::string> args = {helper, std::to_string(pid)};
  for (const auto& m : mappings) {
    args.push_back(std::to_string(m.container_id));
    args.push_back(std::to_string(m.host_id));
    args.push_back(std::to_string(m.size));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child = ::fork();
  if (child < 0) return fail_sys(std::string("fork for ") + helper);
  if (child == 0) {
    ::execvp(helper, argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return fail_msg(std::string(helper) + " not found: install the uidmap package");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail_msg(std::string(helper) + " " + std::to_string(pid) + " failed: check /etc/" +
                    (std::string(helper) == "newuidmap" ? "subuid" : "subgid") +
                    " for the ranges of uid " + std::to_string(::getuid()));
  return {};
}

}  // namespace

Status write_id_mappings(pid_t pid, const std::vector<IdMapping>& uids,
                         const std::vector<IdMapping>& gids) {
  std::string proc = "/proc/" + std::to_string(pid);
  if (::geteuid() == 0) {
    BERTH_CHECK(fs::write_file(proc + "/uid_map", format_id_map(uids)));
    BERTH_CHECK(fs::write_file(proc + "/gid_map", format_id_map(gids)));
    return {};
  }
  if (maps_only_own_id(uids, ::geteuid())) {
    BERTH_CHECK(fs::write_file(proc + "/uid_map", format_id_map(uids)));
  } else {
    BERTH_CHECK(run_helper("newuidmap", pid, uids));
  }
  if (maps_only_own_id(gids, ::getegid())) {
    // An unprivileged writer of gid_map must first give up setgroups(2) in the namespace.
    BERTH_CHECK(fs::write_file(proc + "/setgroups", "deny"));
    BERTH_CHECK(fs::write_file(proc + "/gid_map", format_id_map(gids)));
  } else {
    BERTH_CHECK(run_helper("newgidmap", pid, gids));
  }
  return {};
}

}  // namespace berth::runtime
