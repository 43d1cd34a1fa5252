#include "image/mapped_layers.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "image/dir_tree.hpp"
#include "image/entry_copy.hpp"
#include "image/leftovers.hpp"

namespace berth::image {

namespace {

using leftovers::kTempPrefix;

// A temp dir unlocked for this long is a killed copy's: the gap between its mkdir and its flock
// is far shorter.
constexpr int64_t kLeftoverAge = 60;

Status check_map_key(const std::string& key) {
  bool ok = !key.empty() && key.size() <= 64 && key.front() != '.' &&
            std::all_of(key.begin(), key.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
            });
  if (!ok) return fail_msg("id map key " + quote(key) + ": not [a-z0-9.-]{1,64}");
  return {};
}

// One layer copied between directory fds: each entry reached by one name in an open directory,
// never followed when it is a symlink.
class OwnerShiftCopy {
 public:
  OwnerShiftCopy(const OwnerMap& map, std::string shown_root)
      : map_(map), shown_root_(std::move(shown_root)) {
    bool root = ::geteuid() == 0;
    // Without root, trusted.* and security.capability cannot be set: only tests go there.
    opts_ = {.owner_required = true,
             .xattrs_required = root,
             .overlay_xattrs = true,
             .lsm_xattrs = false};
  }

  // name in src_dir (the layer's "diff") copied as name in dst_dir, rel "" being the layer root.
  Status copy_entry(int src_dir, int dst_dir, const std::string& name, const std::string& rel) {
    const std::string shown = rel.empty() ? shown_root_ : shown_root_ + "/" + rel;
    struct stat st;
    if (::fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
      return fail_sys("stat " + quote(shown));
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dst_dir, name.c_str(), 0700) < 0) return fail_sys("mkdir " + quote(shown));
      auto from = BERTH_TRY(sys::openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      auto to = BERTH_TRY(sys::openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
      if (rel.empty()) diff_fd_ = to.get();
      for (const auto& child : BERTH_TRY(fs::names_at(from.get(), shown)))
        BERTH_CHECK(
            copy_entry(from.get(), to.get(), child, rel.empty() ? child : rel + "/" + child));
    } else if (S_ISREG(st.st_mode) && st.st_nlink > 1 &&
               !linked_.try_emplace({st.st_dev, st.st_ino}, rel).second) {
      // The inode is copied already, with its owner and mode: one more name for it.
      return entry_copy::link_beneath(diff_fd_, linked_.at({st.st_dev, st.st_ino}), dst_dir, name,
                                      shown);
    } else {
      BERTH_CHECK(entry_copy::create(src_dir, dst_dir, name, st, shown));
    }
    auto [uid, gid] = map_(st.st_uid, st.st_gid);
    return entry_copy::copy_metadata(src_dir, dst_dir, name, st, uid, gid, opts_, shown);
  }

 private:
  const OwnerMap& map_;
  std::string shown_root_;
  entry_copy::Options opts_;
  int diff_fd_ = -1;  // the copy's root, where hard links are resolved
  std::map<std::pair<dev_t, ino_t>, std::string> linked_;  // first copy of each linked inode
};

// Removes the unlocked temp dirs in dir older than kLeftoverAge; returns their bytes.
Result<uint64_t> remove_leftovers(const std::string& dir) {
  uint64_t bytes = 0;
  auto older_than = static_cast<int64_t>(::time(nullptr)) - kLeftoverAge;
  for (const auto& name : BERTH_TRY(leftovers::find(dir, kTempPrefix, older_than)))
    bytes += BERTH_TRY(leftovers::remove(dir, name));
  return bytes;
}

// name in dir_fd out of sight at once under a temp name, then removed; what a failed removal
// leaves is a leftover.
Result<uint64_t> remove_tree(int dir_fd, const std::string& dir, const std::string& name,
                             const std::string& tag) {
  uint64_t bytes = dir_tree::regular_bytes(dir_fd, name, fs::join(dir, name)).value_or(0);
  std::string tmp = leftovers::temp_name(tag);
  if (::renameat(dir_fd, name.c_str(), dir_fd, tmp.c_str()) < 0) {
    if (errno == ENOENT) return uint64_t{0};
    return fail_sys("rename " + quote(fs::join(dir, name)) + " to " + quote(fs::join(dir, tmp)));
  }
  BERTH_CHECK(dir_tree::remove(dir_fd, tmp, fs::join(dir, tmp)));
  return bytes;
}

// The map's dir, locked (shared by copies, which make it when missing; exclusive for removals),
// and still the one named map_key: a removal renames it away before it lets go.
Result<unique_fd> open_map_dir(int root_fd, const std::string& root, const std::string& map_key,
                               int lock) {
  const std::string shown = fs::join(root, map_key);
  const bool make = lock == LOCK_SH;
  for (;;) {
    if (make && ::mkdirat(root_fd, map_key.c_str(), 0700) < 0 && errno != EEXIST)
      return fail_sys("mkdir " + quote(shown));
    auto fd = sys::openat(root_fd, map_key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd && make && fd.error().errno_value == ENOENT) continue;
    if (!fd) return fail(fd.error());
    if (::flock(fd->get(), lock) < 0) return fail_sys("flock " + quote(shown));
    struct stat held, named;
    if (::fstat(fd->get(), &held) < 0) return fail_sys("stat " + quote(shown));
    if (::fstatat(root_fd, map_key.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0) {
      if (named.st_dev == held.st_dev && named.st_ino == held.st_ino) return fd;
    } else if (errno != ENOENT) {
      return fail_sys("stat " + quote(shown));
    }
    if (!make) return fail(sys_error(ENOENT, "open " + quote(shown)));
  }
}

}  // namespace

MappedLayers::MappedLayers(std::string data_root, LayerStore& layers)
    : root_(fs::join(data_root, "layers-mapped")), layers_(layers) {}

Result<std::string> MappedLayers::diff_path(const Digest& chain, const std::string& map_key,
                                            const OwnerMap& map) {
  BERTH_CHECK(check_digest(chain));
  BERTH_CHECK(check_map_key(map_key));
  const std::string path = fs::join(root_, map_key + "/" + chain.hex + "/diff");
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return path;
  auto made = make_copy(chain, map_key, map);
  if (!made) {
    return fail(made.error().wrap("copy layer " + chain.str() + " with id map " + map_key));
  }
  return made;
}

Result<std::string> MappedLayers::make_copy(const Digest& chain, const std::string& map_key,
                                            const OwnerMap& map) {
  BERTH_CHECK(fs::mkdir_p(root_, 0700));
  auto root_fd = BERTH_TRY(sys::open(root_, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  auto map_fd = BERTH_TRY(open_map_dir(root_fd.get(), root_, map_key, LOCK_SH));
  const std::string map_dir = fs::join(root_, map_key);
  const std::string path = fs::join(map_dir, chain.hex + "/diff");
  struct stat st;
  if (::fstatat(map_fd.get(), (chain.hex + "/diff").c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
    return path;  // made meanwhile by another process

  // The layer, shared-locked as LayerStore::remove takes it exclusively: not removed under us.
  const std::string layer_dir = fs::join(layers_.root(), chain.hex);
  auto layers_fd = BERTH_TRY(sys::open(layers_.root(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  auto layer_fd =
      BERTH_TRY(sys::openat(layers_fd.get(), chain.hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  if (::flock(layer_fd.get(), LOCK_SH) < 0) return fail_sys("flock " + quote(layer_dir));

  BERTH_CHECK(remove_leftovers(map_dir));
  auto [tmp_name, tmp_fd] =
      BERTH_TRY(leftovers::make_locked_dir(map_fd.get(), chain.hex.substr(0, 12), map_dir));
  auto place = [&]() -> Result<bool> {
    OwnerShiftCopy copy(map, layers_.diff_path(chain));
    BERTH_CHECK(copy.copy_entry(layer_fd.get(), tmp_fd.get(), "diff", ""));
    // The rename must not reach the disk before the files it publishes.
    if (::syncfs(tmp_fd.get()) < 0) return fail_sys("syncfs " + quote(map_dir));
    if (::renameat2(map_fd.get(), tmp_name.c_str(), map_fd.get(), chain.hex.c_str(),
                    RENAME_NOREPLACE) < 0) {
      if (errno == EEXIST || errno == ENOTEMPTY) return false;
      return fail_sys("rename " + quote(fs::join(map_dir, tmp_name)) + " to " +
                      quote(fs::join(map_dir, chain.hex)));
    }
    if (::fsync(map_fd.get()) < 0) return fail_sys("fsync " + quote(map_dir));
    return true;
  };
  auto placed = place();
  if (!placed || !*placed) {
    // Removed while still locked, so that nobody takes it for a killed copy's meanwhile.
    auto removed = dir_tree::remove(map_fd.get(), tmp_name, fs::join(map_dir, tmp_name));
    if (!placed) return fail(placed.error());
    BERTH_CHECK(removed);
  }
  return path;
}

Status MappedLayers::remove_map(const std::string& map_key) {
  BERTH_CHECK(check_map_key(map_key));
  const std::string what = "remove copies of layers with id map " + map_key;
  auto removed = [&]() -> Status {
    auto root_fd = sys::open(root_, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!root_fd && root_fd.error().errno_value == ENOENT) return {};
    if (!root_fd) return fail(root_fd.error());
    BERTH_CHECK(remove_leftovers(root_));
    auto map_fd = open_map_dir(root_fd->get(), root_, map_key, LOCK_EX);
    if (!map_fd && map_fd.error().errno_value == ENOENT) return {};
    if (!map_fd) return fail(map_fd.error());
    BERTH_CHECK(remove_tree(root_fd->get(), root_, map_key, "rm-" + map_key));
    return {};
  }();
  if (!removed) return fail(removed.error().wrap(what));
  return {};
}

Result<uint64_t> MappedLayers::remove_unreferenced(const std::vector<Digest>& keep) {
  std::set<std::string> kept;
  for (const auto& d : keep) kept.insert(d.hex);
  auto root_fd = sys::open(root_, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!root_fd && root_fd.error().errno_value == ENOENT) return uint64_t{0};
  if (!root_fd) return fail(root_fd.error());
  uint64_t bytes = BERTH_TRY(remove_leftovers(root_));
  for (const auto& map_key : BERTH_TRY(fs::names_at(root_fd->get(), root_))) {
    if (map_key.starts_with(kTempPrefix)) continue;
    auto map_fd = open_map_dir(root_fd->get(), root_, map_key, LOCK_EX);
    if (!map_fd && map_fd.error().errno_value == ENOENT) continue;
    if (!map_fd) return fail(map_fd.error());
    const std::string map_dir = fs::join(root_, map_key);
    bytes += BERTH_TRY(remove_leftovers(map_dir));
    for (const auto& name : BERTH_TRY(fs::names_at(map_fd->get(), map_dir))) {
      if (name.starts_with(kTempPrefix) || kept.contains(name)) continue;
      bytes += BERTH_TRY(remove_tree(map_fd->get(), map_dir, name, "rm-" + name.substr(0, 12)));
    }
  }
  return bytes;
}

Result<uint64_t> MappedLayers::disk_usage(const std::string& map_key) const {
  BERTH_CHECK(check_map_key(map_key));
  auto root_fd = sys::open(root_, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!root_fd && root_fd.error().errno_value == ENOENT) return uint64_t{0};
  if (!root_fd) return fail(root_fd.error());
  auto bytes = dir_tree::regular_bytes(root_fd->get(), map_key, fs::join(root_, map_key));
  if (!bytes && bytes.error().errno_value == ENOENT) return uint64_t{0};
  return bytes;
}

}  // namespace berth::image
