#include "image/idmapped_layers.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/fs.hpp"
#include "base/syscalls.hpp"

namespace berth::image {

Result<std::vector<std::string>> attach_idmapped_clones(const std::vector<std::string>& dirs,
                                                        int userns_fd, const std::string& under) {
  std::vector<std::string> attached;
  auto attach_all = [&]() -> Status {
    BERTH_CHECK(fs::mkdir_p(under, 0700));
    for (size_t i = 0; i < dirs.size(); ++i) {
      std::string target = fs::join(under, std::to_string(i));
      if (::mkdir(target.c_str(), 0700) < 0 && errno != EEXIST)
        return fail_sys("mkdir " + quote(target));
      auto tree = BERTH_TRY(sys::open_tree(AT_FDCWD, dirs[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
      auto idmapped =
          sys::mount_setattr(tree.get(), "", AT_EMPTY_PATH, MOUNT_ATTR_IDMAP, 0, 0, userns_fd);
      if (!idmapped) return fail(idmapped.error().wrap("idmap layer " + quote(dirs[i])));
      BERTH_CHECK(sys::move_mount(tree.get(), "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH));
      attached.push_back(std::move(target));
    }
    return {};
  };
  if (auto done = attach_all(); !done) {
    detach_clones(attached);
    return fail(done.error());
  }
  return attached;
}

void detach_clones(const std::vector<std::string>& attached) {
  for (const auto& path : attached) (void)::umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
}

}  // namespace berth::image
