#include "runtime/idmapped_mounts.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "runtime/mount_fd.hpp"
#include "runtime/mount_options.hpp"

namespace berth::runtime {

namespace {

std::string map_text(const std::vector<IdMapping>& maps) {
  std::string text;
  for (const auto& m : maps)
    text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
            std::to_string(m.size) + "\n";
  return text;
}

// Reaps the child that only holds the user namespace open.
struct Holder {
  pid_t pid = -1;
  unique_fd release_w;
  ~Holder() {
    if (pid <= 0) return;
    release_w.reset();
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
};

Result<unique_fd> idmapped_tree(const Mount& m, const MountOptions& o, const std::string& bundle,
                                int userns_fd) {
  std::string source = m.source;
  if (source.empty()) return fail_msg("idmapped mount without a source");
  if (source[0] != '/') source = fs::join(bundle, source);
  if (::access(source.c_str(), F_OK) < 0) return fail_sys("bind source " + quote(source));
  bool nofollow = o.copy_symlink || o.src_nofollow;
  auto tree = BERTH_TRY(
      mount_fd::clone_tree(AT_FDCWD, source, o.recursive || o.recursive_idmap, nofollow, source));
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  unsigned flags = AT_EMPTY_PATH | (o.recursive_idmap ? AT_RECURSIVE : 0);
  if (::mount_setattr(tree.get(), "", flags, &attr, sizeof(attr)) < 0)
    return fail_sys("idmap " + quote(source));
  // Done here: init, in the container's user namespace, may not change this detached mount.
  BERTH_CHECK(mount_fd::set_attrs(tree.get(), o.rec_attr_set, o.rec_attr_clr, true, source));
  BERTH_CHECK(mount_fd::set_attrs(tree.get(), o.attr_set(), o.attr_clr(), false, source));
  return tree;
}

}  // namespace

Result<unique_fd> make_userns(const std::vector<IdMapping>& uid_mappings,
                              const std::vector<IdMapping>& gid_mappings) {
  int release[2];
  if (::pipe2(release, O_CLOEXEC) < 0) return fail_sys("pipe");
  unique_fd release_r(release[0]);
  Holder holder;
  holder.release_w.reset(release[1]);
  pid_t pid = BERTH_TRY(sys::clone3(CLONE_NEWUSER, nullptr));
  if (pid == 0) {
    // Only async-signal-safe calls here: the parent may have other threads.
    char c;
    while (::read(release_r.get(), &c, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  holder.pid = pid;
  std::string proc = "/proc/" + std::to_string(pid);
  if (!uid_mappings.empty()) BERTH_CHECK(fs::write_file(proc + "/uid_map", map_text(uid_mappings)));
  if (!gid_mappings.empty()) BERTH_CHECK(fs::write_file(proc + "/gid_map", map_text(gid_mappings)));
  return sys::open(proc + "/ns/user", O_RDONLY);
}

Result<std::vector<unique_fd>> prepare_idmapped_mounts(const Spec& spec, const std::string& bundle,
                                                       int container_userns_fd) {
  std::vector<unique_fd> out;
  out.reserve(spec.mounts.size());
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    std::string name = "mounts[" + std::to_string(i) + "]";
    bool bind = is_bind_mount(m);
    auto opts = parse_mount_options(m.options, bind);
    if (!opts) return fail(opts.error().wrap(name + " " + quote(m.destination)));
    const auto& uids = !m.uid_mappings.empty() ? m.uid_mappings : opts->idmap_uids;
    const auto& gids = !m.gid_mappings.empty() ? m.gid_mappings : opts->idmap_gids;
    if (uids.empty() && gids.empty() && !opts->idmap) {
      out.emplace_back();
      continue;
    }
    if (!opts->bind)
      return fail_msg(name + " " + quote(m.destination) + ": idmapped mounts must be bind mounts");
    unique_fd own_userns;
    int userns = container_userns_fd;
    if (!uids.empty() || !gids.empty()) {
      if (uids.empty() || gids.empty())
        return fail_msg(name + " " + quote(m.destination) +
                        ": idmapped mount needs both uidMappings and gidMappings");
      auto ns = make_userns(uids, gids);
      if (!ns) return fail(ns.error().wrap(name));
      own_userns = std::move(*ns);
      userns = own_userns.get();
    } else if (userns < 0) {
      return fail_msg(name + " " + quote(m.destination) +
                      ": \"idmap\" without mappings needs a user namespace");
    }
    auto tree = idmapped_tree(m, *opts, bundle, userns);
    if (!tree) return fail(tree.error().wrap(name));
    out.push_back(std::move(*tree));
  }
  return out;
}

}  // namespace berth::runtime
