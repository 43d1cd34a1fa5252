#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <set>
#include <utility>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "engine/volume_store.hpp"

namespace berth::engine {
namespace {

// Docker's du of a volume: the apparent size of everything but directories, each inode once.
// Symlinks count as themselves; a mount inside the volume is not entered.
struct DiskUsage {
  dev_t dev = 0;
  std::set<ino_t> seen;
  uint64_t bytes = 0;

  Status walk(int dir, const std::string& shown) {
    for (const auto& name : BERTH_TRY(fs::names_at(dir, shown))) {
      std::string path = shown + "/" + name;
      struct statx stx {};
      if (::statx(dir, name.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0) {
        if (errno == ENOENT) continue;  // removed while we walk
        return fail_sys("stat " + quote(path));
      }
      if (S_ISDIR(stx.stx_mode)) {
        bool other_mount = (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0 ||
                           makedev(stx.stx_dev_major, stx.stx_dev_minor) != dev;
        if (other_mount) continue;
        auto sub = sys::openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (!sub && sub.error().errno_value == ENOENT) continue;
        if (!sub) return fail(sub.error());
        BERTH_CHECK(walk(sub->get(), path));
      } else if (stx.stx_size > 0 && seen.insert(stx.stx_ino).second) {
        bytes += stx.stx_size;
      }
    }
    return {};
  }
};

}  // namespace

Result<uint64_t> VolumeService::volume_size(const VolumeRecord& volume) {
  auto data = open_data_dir(volume.name, O_RDONLY);
  if (!data && data.error().errno_value == ENOENT) return uint64_t{0};
  if (!data) return fail(data.error().wrap("size of volume " + volume.name));
  struct stat st;
  if (::fstat(data->get(), &st) < 0) return fail_sys("stat " + quote(volume.mountpoint));
  DiskUsage du;
  du.dev = st.st_dev;
  if (auto done = du.walk(data->get(), volume.mountpoint); !done)
    return fail(done.error().wrap("size of volume " + volume.name));
  return du.bytes;
}

}  // namespace berth::engine
