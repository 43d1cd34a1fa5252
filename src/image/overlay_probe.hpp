#pragma once

#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/probe_child.hpp"

// Whether this kernel mounts overlay where berth wants it, found by mounting one.
namespace berth::image {

// Mounts an overlay of dir/lower, dir/upper and dir/work (which exist) on dir/merged from a child
// in a new mount namespace, and in a new user namespace that maps only the child's own ids when
// userns, so that nothing stays mounted. The child becomes `as` first when given (the caller is
// root and asks for an ordinary user's answer: the dirs must then be that user's). The error
// names the step that failed: `mount overlay: operation not permitted`.
Status try_overlay_mount(const std::string& dir, bool userns,
                         std::optional<probe::Identity> as = std::nullopt);

// True when /usr/bin/fuse-overlayfs can run here: the binary, /dev/fuse and, for a rootless
// user, fusermount3.
bool fuse_overlayfs_usable(bool rootless);

// The kernel's release (uname -r), and whether it is at least major.minor.
std::string kernel_release();
bool kernel_at_least(const std::string& release, int major, int minor);

}  // namespace berth::image
