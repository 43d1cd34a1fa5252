#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

// Image layers seen through idmapped mounts: the files stay owned by the ids the image names on
// disk, and a container whose root is a subordinate id sees them as its own. Overlayfs takes
// idmapped lower layers (not an idmapped upper one), and keeps private clones of them, so the
// attached clones can go as soon as the overlay is mounted.
namespace berth::image {

// Clones of each dir, idmapped through the user namespace userns_fd, attached at under/0,
// under/1, ... in the caller's mount namespace. On error nothing stays attached.
Result<std::vector<std::string>> attach_idmapped_clones(const std::vector<std::string>& dirs,
                                                        int userns_fd, const std::string& under);

// Lazily unmounts what attach_idmapped_clones attached.
void detach_clones(const std::vector<std::string>& attached);

}  // namespace berth::image
