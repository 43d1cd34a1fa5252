#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/probe_child.hpp"
#include "engine/subordinate_ids.hpp"
#include "runtime/cgroups/cgroup.hpp"

// `berth system check`: what rootless berth needs from the machine and the user, each found by a
// real probe, with the command that fixes what is missing.
namespace berth::engine {

struct CheckResult {
  std::string name;  // "subordinate uids"
  bool ok = false;
  std::string detail;  // what was found: "65536 from 231072 in /etc/subuid"
  std::string fix;     // a command or step that makes it ok; empty when ok
};

// Whom the checks are for, and where they look (tests point these at their own files).
struct CheckInputs {
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string subuid_file = "/etc/subuid";
  std::string subgid_file = "/etc/subgid";
  std::string path_env;                        // PATH, searched for newuidmap and newgidmap
  std::optional<std::string> xdg_runtime_dir;  // nullopt: unset
  std::string probe_parent = "/tmp";           // where the overlay probe makes its temp dir
  std::string proc_sys = "/proc/sys";
  // The probes of user namespaces and overlay run as this identity (the caller being root), so
  // that they answer for an ordinary user; nullopt: as the caller.
  std::optional<probe::Identity> probe_as;
};

// The inputs for the user running this process: its name and ids, PATH, XDG_RUNTIME_DIR, the
// overlay probe in data_root when that exists (else /tmp). As root the probes run as nobody.
CheckInputs current_user_inputs(const std::string& data_root);

// Every check, in the order `berth system check` prints them.
std::vector<CheckResult> rootless_checks(const CheckInputs& in);

// newuidmap and newgidmap in PATH (then /usr/bin), each setuid root or with cap_setuid /
// cap_setgid in its file capabilities.
CheckResult check_id_map_binaries(const std::string& path_env);

// The user's ranges in file (ids: "uids" or "gids") add up to at least 65536; when not, the fix
// adds a range that is free in both files (the same range serves both).
CheckResult check_subordinate_ids(const std::string& ids, const std::string& file,
                                  const std::string& other_file, const std::string& user,
                                  uid_t uid);
// The lowest range of count ids at or above 100000 (login.defs' SUB_UID_MIN) that overlaps no
// range of any user in the files.
Result<SubordinateRange> free_subordinate_range(const std::vector<std::string>& files,
                                                uint32_t count);
inline constexpr uint32_t kRootlessIdCount = 65536;

// A child unshares a user namespace.
CheckResult check_user_namespaces(std::optional<probe::Identity> as, const std::string& proc_sys);
// What lets unprivileged users make user namespaces, from the sysctls under proc_sys.
std::string user_namespaces_fix(const std::string& proc_sys);

// A child in a new user and mount namespace mounts overlay in a temp dir under parent; when it
// cannot but fuse-overlayfs can run, that is berth's fallback and the check is ok.
CheckResult check_overlay_in_user_namespace(const std::string& parent,
                                            std::optional<probe::Identity> as);

// cgroup v2, and this process's own cgroup writable with memory, pids and cpu delegated.
CheckResult check_cgroup_delegation();
// The same from what was read: the layout, where cgroup2 is mounted, /proc/self/cgroup's text.
CheckResult cgroup_delegation(runtime::cgroups::Mode mode, const std::string& cgroup2_mount,
                              const std::string& proc_self_cgroup);

// XDG_RUNTIME_DIR is set to a directory of the user's with mode 0700.
CheckResult check_xdg_runtime_dir(const std::optional<std::string>& dir, const std::string& user,
                                  uid_t uid);

// A sysctl's value under proc_sys by its name ("net.ipv4.ping_group_range" or
// "net/ipv4/ping_group_range"), whitespace at the ends removed; nullopt when there is no such file
// or it cannot be read.
std::optional<std::string> read_sysctl(const std::string& proc_sys, std::string name);

// What rootless containers cannot do on this machine until the admin lifts it, from the sysctls
// under in.proc_sys: ports below net.ipv4.ip_unprivileged_port_start, and ping sockets outside
// net.ipv4.ping_group_range, on the host network (a container's own network namespace is the
// user's, and berth opens both there). ok: no limit; fix: the command that lifts it. They are
// not needed, so they do not count in `berth system check`'s exit status.
std::vector<CheckResult> rootless_limits(const CheckInputs& in);

}  // namespace berth::engine
