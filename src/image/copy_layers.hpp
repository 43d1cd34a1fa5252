#pragma once

#include <string>

#include "base/error.hpp"

// The copy snapshotter's work: a layer in overlay form (whiteouts as 0/0 devices or files marked
// overlay.whiteout, opaque directories marked overlay.opaque=y) applied onto a root directory, so
// that the root shows what overlayfs would show with the layer on top.
namespace berth::image::copy_layers {

Status apply(int layer_fd, int rootfs_fd, const std::string& shown_layer);

}  // namespace berth::image::copy_layers
