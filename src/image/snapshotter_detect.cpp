#include <fcntl.h>
#include <sys/stat.h>

#include <map>
#include <mutex>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "base/syscalls.hpp"
#include "image/dir_tree.hpp"
#include "image/leftovers.hpp"
#include "image/overlay_probe.hpp"
#include "image/snapshotter.hpp"

namespace berth::image {

namespace {

Result<bool> probe_overlay(const std::string& snapshots, bool userns) {
  auto root = BERTH_TRY(sys::open(snapshots, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  auto [name, fd] = BERTH_TRY(leftovers::make_locked_dir(root.get(), "probe", snapshots));
  for (const char* sub : {"lower", "upper", "work", "merged"})
    if (::mkdirat(fd.get(), sub, 0755) < 0) {
      auto e = sys_error("mkdir " + quote(fs::join(snapshots, name + "/" + sub)));
      (void)dir_tree::remove(root.get(), name, fs::join(snapshots, name));
      return fail(e);
    }
  bool ok = static_cast<bool>(try_overlay_mount(fs::join(snapshots, name), userns));
  BERTH_CHECK(dir_tree::remove(root.get(), name, fs::join(snapshots, name)));
  return ok;
}

std::optional<SnapshotterKind> parse_kind(const std::string& name) {
  for (auto kind : {SnapshotterKind::overlay, SnapshotterKind::overlay_userns,
                    SnapshotterKind::fuse_overlayfs, SnapshotterKind::copy})
    if (to_string(kind) == name) return kind;
  return std::nullopt;
}

}  // namespace

Result<SnapshotterKind> detect_snapshotter(const std::string& data_root, bool rootless) {
  static std::mutex mu;
  static std::map<std::pair<std::string, bool>, SnapshotterKind> probed;
  std::lock_guard lock(mu);
  if (auto it = probed.find({data_root, rootless}); it != probed.end()) return it->second;

  const std::string snapshots = fs::join(data_root, "snapshots");
  BERTH_CHECK(fs::mkdir_p(snapshots, 0700));
  const std::string cache = fs::join(snapshots, ".kind");
  const std::string release = kernel_release();
  const std::string mode = rootless ? "rootless" : "rootful";
  if (auto text = fs::read_file(cache)) {
    auto lines = split(*text, '\n');
    if (lines.size() >= 3 && lines[1] == release && lines[2] == mode)
      if (auto kind = parse_kind(lines[0])) return probed[{data_root, rootless}] = *kind;
  }

  SnapshotterKind kind = SnapshotterKind::copy;
  if (!rootless && BERTH_TRY(probe_overlay(snapshots, false)))
    kind = SnapshotterKind::overlay;
  else if (rootless && kernel_at_least(release, 5, 11) && BERTH_TRY(probe_overlay(snapshots, true)))
    kind = SnapshotterKind::overlay_userns;
  else if (fuse_overlayfs_usable(rootless))
    kind = SnapshotterKind::fuse_overlayfs;
  BERTH_CHECK(fs::write_file_atomic(
      cache, std::string(to_string(kind)) + "\n" + release + "\n" + mode + "\n", 0600));
  return probed[{data_root, rootless}] = kind;
}

}  // namespace berth::image
