#include "image/snapshotter.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "base/syscalls.hpp"
#include "image/copy_layers.hpp"
#include "image/dir_tree.hpp"
#include "image/idmapped_layers.hpp"
#include "image/leftovers.hpp"
#include "image/overlay_mount.hpp"
#include "image/snapshot_layers.hpp"

namespace berth::image {

namespace {

constexpr const char* kFuseOverlayfs = "/usr/bin/fuse-overlayfs";

Status check_key(const std::string& key) {
  bool ok =
      !key.empty() && key.size() <= 128 && key.front() != '.' &&
      key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
          std::string::npos;
  if (!ok) return fail_msg("snapshot key " + quote(key) + ": not a plain name");
  return {};
}

Result<unique_fd> open_root(const std::string& root) {
  BERTH_CHECK(fs::mkdir_p(root, 0700));
  return sys::open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
}

// Runs argv and waits; a failure carries what the program wrote to stderr.
Status run(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return fail_sys("pipe for " + argv[0]);
  unique_fd read_end(fds[0]), write_end(fds[1]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_sys("fork for " + argv[0]);
  if (pid == 0) {
    ::dup2(write_end.get(), 2);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  write_end.reset();
  auto err = fs::read_fd(read_end.get());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string why = err ? *err : "";
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  return fail_msg(argv[0] + " failed (status " + std::to_string(WEXITSTATUS(status)) + ")" +
                  (why.empty() ? "" : ": " + why));
}

overlay_mount::Spec overlay_spec(const LayerStore& layers, const std::vector<Digest>& chains,
                                 const std::string& dir, SnapshotterKind kind) {
  overlay_mount::Spec spec;
  for (auto it = chains.rbegin(); it != chains.rend(); ++it)
    spec.lowers.push_back(layers.diff_path(*it));
  spec.upper = fs::join(dir, "upper");
  spec.work = fs::join(dir, "work");
  spec.userxattr = kind == SnapshotterKind::overlay_userns;
  return spec;
}

}  // namespace

std::string_view to_string(SnapshotterKind kind) {
  switch (kind) {
    case SnapshotterKind::overlay:
      return "overlayfs";
    case SnapshotterKind::overlay_userns:
      return "overlayfs (user namespace)";
    case SnapshotterKind::fuse_overlayfs:
      return "fuse-overlayfs";
    case SnapshotterKind::copy:
      return "copy";
  }
  return "unknown";
}

Snapshotter::Snapshotter(std::string data_root, SnapshotterKind kind, LayerStore& layers)
    : root_(fs::join(data_root, "snapshots")), kind_(kind), layers_(layers) {}

std::string Snapshotter::path(const std::string& key) const {
  return fs::join(root_, key);
}

std::string Snapshotter::upper_path(const std::string& key) const {
  return fs::join(path(key), kind_ == SnapshotterKind::copy ? "rootfs" : "upper");
}

Status Snapshotter::prepare(const std::string& key, const std::vector<Digest>& chain_ids) {
  BERTH_CHECK(check_key(key));
  const std::string what = "prepare snapshot " + quote(key);
  for (const auto& chain : chain_ids)
    if (!layers_.has(chain)) return fail_msg(what + ": layer " + chain.str() + " is not unpacked");
  auto root = BERTH_TRY(open_root(root_));
  struct stat st;
  if (::fstatat(root.get(), key.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
    return fail(sys_error(EEXIST, what));
  auto [tmp_name, tmp_fd] = BERTH_TRY(leftovers::make_locked_dir(root.get(), "snap", root_));
  const std::string tmp_shown = fs::join(root_, tmp_name);
  auto fill = [&, &tmp_fd = tmp_fd]() -> Status {
    if (::fchmod(tmp_fd.get(), 0711) < 0) return fail_sys("chmod " + quote(tmp_shown));
    if (kind_ == SnapshotterKind::copy) {
      if (::mkdirat(tmp_fd.get(), "rootfs", 0755) < 0)
        return fail_sys("mkdir " + quote(tmp_shown + "/rootfs"));
      auto rootfs =
          BERTH_TRY(sys::openat(tmp_fd.get(), "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      for (const auto& chain : chain_ids) {
        std::string diff = layers_.diff_path(chain);
        auto layer = BERTH_TRY(sys::open(diff, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
        BERTH_CHECK(copy_layers::apply(layer.get(), rootfs.get(), diff));
      }
    } else {
      if (::mkdirat(tmp_fd.get(), "upper", 0755) < 0)
        return fail_sys("mkdir " + quote(tmp_shown + "/upper"));
      if (::mkdirat(tmp_fd.get(), "work", 0700) < 0)
        return fail_sys("mkdir " + quote(tmp_shown + "/work"));
    }
    BERTH_CHECK(snapshot_layers::write(tmp_fd.get(), chain_ids, tmp_shown + "/layers"));
    if (::renameat2(root.get(), tmp_name.c_str(), root.get(), key.c_str(), RENAME_NOREPLACE) < 0)
      return fail_sys("rename " + quote(tmp_shown) + " to " + quote(path(key)));
    return {};
  };
  auto filled = fill();
  if (!filled) {
    (void)dir_tree::remove(root.get(), tmp_name, tmp_shown);
    return fail(filled.error().wrap(what));
  }
  return {};
}

Result<std::vector<Digest>> Snapshotter::layers(const std::string& key) const {
  BERTH_CHECK(check_key(key));
  auto dir = BERTH_TRY(sys::open(path(key), O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  return snapshot_layers::read(dir.get(), path(key) + "/layers");
}

Result<std::vector<Mount>> Snapshotter::mounts(const std::string& key,
                                               const std::string& target) const {
  auto chains = BERTH_TRY(layers(key));
  if (kind_ == SnapshotterKind::copy || chains.empty())
    return std::vector<Mount>{{"bind", upper_path(key), target, {"rbind", "rw"}}};
  auto spec = overlay_spec(layers_, chains, path(key), kind_);
  auto options = overlay_mount::options(spec);
  if (kind_ == SnapshotterKind::fuse_overlayfs) {
    // fuse-overlayfs knows no index option.
    options.erase(std::remove(options.begin(), options.end(), "index=off"), options.end());
    return std::vector<Mount>{{"fuse3.fuse-overlayfs", "fuse-overlayfs", target, options}};
  }
  return std::vector<Mount>{{"overlay", "overlay", target, options}};
}

Status Snapshotter::mount(const std::string& key, const std::string& target) const {
  auto chains = BERTH_TRY(layers(key));
  auto ms = BERTH_TRY(mounts(key, target));
  const Mount& m = ms.front();
  if (m.type == "bind") return sys::mount(m.source, target, "", MS_BIND | MS_REC, "");
  if (kind_ == SnapshotterKind::fuse_overlayfs) {
    auto r = run({kFuseOverlayfs, "-o", berth::join(m.options, ","), target});
    if (!r) return fail(r.error().wrap("mount snapshot " + quote(key) + " on " + quote(target)));
    return {};
  }
  auto spec = overlay_spec(layers_, chains, path(key), kind_);
  auto r = overlay_mount::mount(spec, target, fs::join(path(key), "l"));
  if (!r) return fail(r.error().wrap("mount snapshot " + quote(key)));
  return {};
}

Status Snapshotter::mount_idmapped(const std::string& key, const std::string& target, int userns_fd,
                                   const std::string& clones_dir) const {
  if (kind_ != SnapshotterKind::overlay)
    return fail_msg("mount snapshot " + quote(key) + " with idmapped layers: the " +
                    std::string(to_string(kind_)) + " snapshotter cannot");
  auto chains = BERTH_TRY(layers(key));
  if (chains.empty()) return mount(key, target);
  auto spec = overlay_spec(layers_, chains, path(key), kind_);
  auto clones = attach_idmapped_clones(spec.lowers, userns_fd, clones_dir);
  if (!clones) return fail(clones.error().wrap("mount snapshot " + quote(key)));
  spec.lowers = *clones;
  auto r = overlay_mount::mount(spec, target, fs::join(path(key), "l"));
  detach_clones(*clones);
  if (!r) return fail(r.error().wrap("mount snapshot " + quote(key)));
  return {};
}

Status Snapshotter::mount_with_lowers(const std::string& key, const std::string& target,
                                      const std::vector<std::string>& lowers) const {
  if (kind_ != SnapshotterKind::overlay && kind_ != SnapshotterKind::overlay_userns)
    return fail_msg("mount snapshot " + quote(key) + " on other layers: the " +
                    std::string(to_string(kind_)) + " snapshotter cannot");
  auto chains = BERTH_TRY(layers(key));
  if (chains.size() != lowers.size())
    return fail_msg("mount snapshot " + quote(key) + ": " + std::to_string(lowers.size()) +
                    " layers given for " + std::to_string(chains.size()));
  if (chains.empty()) return mount(key, target);
  auto spec = overlay_spec(layers_, chains, path(key), kind_);
  spec.lowers.assign(lowers.rbegin(), lowers.rend());
  auto r = overlay_mount::mount(spec, target, fs::join(path(key), "l"));
  if (!r) return fail(r.error().wrap("mount snapshot " + quote(key)));
  return {};
}

Status Snapshotter::unmount(const std::string& target) const {
  if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0) return {};
  if (errno == EBUSY && ::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) return {};
  if (errno == EPERM && kind_ == SnapshotterKind::fuse_overlayfs) {
    for (const char* fusermount :
         {"/usr/bin/fusermount3", "/bin/fusermount3", "/usr/bin/fusermount"})
      if (::access(fusermount, X_OK) == 0) return run({fusermount, "-u", target});
  }
  return fail_sys("unmount " + quote(target));
}

Status Snapshotter::remove(const std::string& key) {
  BERTH_CHECK(check_key(key));
  auto root = BERTH_TRY(open_root(root_));
  // Out of sight at once; what a failed removal leaves is a leftover for gc().
  auto held = sys::openat(root.get(), key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  // A create killed before its snapshot was renamed into place left none.
  if (!held && held.error().errno_value == ENOENT) return {};
  if (!held) return fail(held.error().wrap("remove snapshot " + quote(key)));
  if (::flock(held->get(), LOCK_EX) < 0) return fail_sys("flock " + quote(path(key)));
  std::string tmp = leftovers::temp_name("rm-" + key.substr(0, 12));
  if (::renameat(root.get(), key.c_str(), root.get(), tmp.c_str()) < 0)
    return fail_sys("remove snapshot " + quote(key));
  return dir_tree::remove(root.get(), tmp, fs::join(root_, tmp));
}

Result<std::vector<std::string>> Snapshotter::list() const {
  std::vector<std::string> out;
  int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return out;
    return fail_sys("open " + quote(root_));
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return fail_sys("opendir " + quote(root_));
  }
  while (auto* ent = ::readdir(dir))
    if (ent->d_name[0] != '.') out.emplace_back(ent->d_name);
  ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace berth::image
