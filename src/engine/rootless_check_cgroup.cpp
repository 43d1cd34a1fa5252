#include <algorithm>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "engine/delegated_cgroup.hpp"
#include "engine/rootless_check.hpp"

namespace berth::engine {
namespace {

constexpr const char* kDelegateFix =
    "sudo systemctl edit user@.service, add [Service] Delegate=yes, and log in again";

std::string unified_fix() {
  return std::string(
             "boot with systemd.unified_cgroup_hierarchy=1 on the kernel command line "
             "(GRUB_CMDLINE_LINUX in /etc/default/grub, then sudo update-grub), then ") +
         kDelegateFix;
}

}  // namespace

CheckResult cgroup_delegation(runtime::cgroups::Mode mode, const std::string& cgroup2_mount,
                              const std::string& proc_self_cgroup) {
  using runtime::cgroups::Mode;
  CheckResult r{"cgroup delegation", false, "", ""};
  if (mode == Mode::v1) {
    r.detail = "cgroup v1 only: resource limits need cgroup v2 delegation";
    r.fix = unified_fix();
    return r;
  }
  if (mode == Mode::hybrid) {
    r.detail = "hybrid cgroups (the controllers are on v1; " + cgroup2_mount +
               " has none): resource limits need cgroup v2 delegation";
    r.fix = unified_fix();
    return r;
  }
  auto own = delegation_candidate(mode, proc_self_cgroup);
  if (!own || !*own) {
    r.detail = own ? "no cgroup2 hierarchy" : "/proc/self/cgroup: " + own.error().what();
    return r;
  }
  const std::string dir = cgroup2_mount + (**own == "/" ? "" : **own);
  if (auto path = first_unwritable(dir); !path.empty()) {
    r.detail =
        "own cgroup " + dir + " is not delegated to this user (" + path + " is not writable)";
    r.fix = std::string(kDelegateFix) +
            "; run berth inside the delegated tree (a login "
            "session, or systemd-run --user --scope -p Delegate=yes berth ...)";
    return r;
  }
  auto text = fs::read_file(dir + "/cgroup.controllers");
  if (!text) {
    r.detail = text.error().what();
    return r;
  }
  std::string line = text->substr(0, text->find('\n'));
  auto have = split(line, ' ');
  std::vector<std::string> missing;
  for (const char* want : {"memory", "pids", "cpu"})
    if (std::find(have.begin(), have.end(), want) == have.end()) missing.push_back(want);
  if (!missing.empty()) {
    r.detail = "own cgroup " + dir + " lacks the controllers " + join(missing, ", ") +
               " (it has: " + (line.empty() ? "none" : line) + ")";
    r.fix =
        "sudo systemctl edit user@.service, add [Service] Delegate=memory pids cpu, and log "
        "in again";
    return r;
  }
  r.ok = true;
  r.detail = "own cgroup " + dir + " is delegated with " + line;
  return r;
}

CheckResult check_cgroup_delegation() {
  auto mode = runtime::cgroups::detect_mode();
  if (!mode) return {"cgroup delegation", false, mode.error().what(), unified_fix()};
  const std::string mount = runtime::cgroups::unified_mount(*mode);
  auto text = fs::read_file("/proc/self/cgroup");
  if (!text) return {"cgroup delegation", false, text.error().what(), ""};
  return cgroup_delegation(*mode, mount, *text);
}

}  // namespace berth::engine
