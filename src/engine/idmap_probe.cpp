#include "engine/idmap_probe.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <unistd.h>

#include "base/syscalls.hpp"
#include "runtime/idmapped_mounts.hpp"

namespace berth::engine {

bool can_idmap(const std::string& dir) {
  if (::geteuid() != 0) return false;
  auto userns = runtime::make_userns({{0, 1, 1}}, {{0, 1, 1}});
  if (!userns) return false;
  auto tree = sys::open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (!tree) return false;
  return static_cast<bool>(
      sys::mount_setattr(tree->get(), "", AT_EMPTY_PATH, MOUNT_ATTR_IDMAP, 0, 0, userns->get()));
}

}  // namespace berth::engine
