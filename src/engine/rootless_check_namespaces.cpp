#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "engine/rootless_check.hpp"
#include "image/dir_tree.hpp"
#include "image/overlay_probe.hpp"

namespace berth::engine {
namespace {

// The number in a sysctl file, or nullopt when it is missing or unreadable.
std::optional<long> sysctl_number(const std::string& proc_sys, const std::string& name) {
  auto text = read_sysctl(proc_sys, name);
  if (!text) return std::nullopt;
  try {
    return std::stol(*text);
  } catch (...) {
    return std::nullopt;
  }
}

// A temp dir under parent with lower, upper, work and merged, owned by `as` when given; removed
// with its contents on destruction.
class ProbeDir {
 public:
  static Result<ProbeDir> make(const std::string& parent, std::optional<probe::Identity> as) {
    std::string pattern = fs::join(parent, ".berth-check-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr)
      return fail_sys("make a temp dir in " + quote(parent));
    ProbeDir dir(pattern);
    for (const char* sub : {"", "/lower", "/upper", "/work", "/merged"}) {
      std::string path = pattern + sub;
      if (*sub != '\0' && ::mkdir(path.c_str(), 0755) < 0) return fail_sys("mkdir " + quote(path));
      if (as && ::chown(path.c_str(), as->uid, as->gid) < 0)
        return fail_sys("chown " + quote(path));
    }
    return dir;
  }
  ProbeDir(ProbeDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  ProbeDir(const ProbeDir&) = delete;
  ProbeDir& operator=(const ProbeDir&) = delete;
  ProbeDir& operator=(ProbeDir&&) = delete;
  ~ProbeDir() {
    if (path_.empty()) return;
    // dir_tree opens up overlay's work/work (mode 0000), which keeps even its owner out.
    if (auto parent = sys::open(fs::dirname(path_), O_RDONLY | O_DIRECTORY | O_CLOEXEC))
      (void)image::dir_tree::remove(parent->get(), fs::basename(path_), path_);
  }
  const std::string& path() const { return path_; }

 private:
  explicit ProbeDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace

std::string user_namespaces_fix(const std::string& proc_sys) {
  if (sysctl_number(proc_sys, "kernel/unprivileged_userns_clone") == 0)
    return "sudo sysctl -w kernel.unprivileged_userns_clone=1 (and put "
           "kernel.unprivileged_userns_clone=1 in /etc/sysctl.d/ to keep it)";
  if (sysctl_number(proc_sys, "user/max_user_namespaces") == 0)
    return "sudo sysctl -w user.max_user_namespaces=28633 (and put it in /etc/sysctl.d/ to keep "
           "it)";
  if (sysctl_number(proc_sys, "kernel/apparmor_restrict_unprivileged_userns") == 1)
    return "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile "
           "that allows userns for berth";
  return "the kernel refuses user namespaces to this user without a sysctl that says so: check "
         "the kernel's configuration (CONFIG_USER_NS) and its security modules";
}

CheckResult check_user_namespaces(std::optional<probe::Identity> as, const std::string& proc_sys) {
  CheckResult r{"user namespaces", false, "", ""};
  Status made = probe::in_child(as, []() -> probe::Failure {
    if (::unshare(CLONE_NEWUSER) < 0) return probe::failed("unshare(CLONE_NEWUSER)");
    return {};
  });
  const std::string who = as ? "uid " + std::to_string(as->uid) : "this user";
  if (made) {
    r.ok = true;
    r.detail = who + " can make a user namespace";
    if (auto max = sysctl_number(proc_sys, "user/max_user_namespaces"))
      r.detail += " (user.max_user_namespaces=" + std::to_string(*max) + ")";
    return r;
  }
  r.detail = who + " cannot make a user namespace: " + made.error().what();
  r.fix = user_namespaces_fix(proc_sys);
  return r;
}

CheckResult check_overlay_in_user_namespace(const std::string& parent,
                                            std::optional<probe::Identity> as) {
  CheckResult r{"overlay in a user namespace", false, "", ""};
  auto dir = ProbeDir::make(parent, as);
  if (!dir) {
    r.detail = "cannot probe: " + dir.error().what();
    r.fix = "make " + parent + " writable for the user, or run the check where it is";
    return r;
  }
  Status mounted = image::try_overlay_mount(dir->path(), true, as);
  if (mounted) {
    r.ok = true;
    r.detail = "the kernel mounts overlay in a user namespace (probed in " + parent + ")";
    return r;
  }
  std::string why = "the kernel does not mount overlay in a user namespace here (" +
                    mounted.error().what() + ", probed in " + parent + ")";
  const std::string release = image::kernel_release();
  if (!image::kernel_at_least(release, 5, 11))
    why += "; kernel " + release + " is older than 5.11, which first allowed it";
  if (image::fuse_overlayfs_usable(true)) {
    r.ok = true;
    r.detail = why + "; fuse-overlayfs is used instead";
    return r;
  }
  r.detail = why + ", and fuse-overlayfs, the fallback, is not usable";
  r.fix = "sudo apt-get install fuse-overlayfs (needs /dev/fuse)";
  return r;
}

}  // namespace berth::engine
