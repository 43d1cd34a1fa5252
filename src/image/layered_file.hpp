#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "image/unpack.hpp"

namespace berth::image {

// A file of an image as its overlay would show it, read from the unpacked layers (dirs given
// topmost first) without mounting them: the topmost layer that has the file gives it; a whiteout
// of the file or of a directory on its way, something else than a directory on its way, or an
// opaque directory on its way hides the layers below. A symbolic link on the way, or as the file,
// reads as absent. nullopt: no layer shows the file. path is absolute, as "/etc/passwd". format:
// the xattrs the layers were unpacked with (trusted.overlay.* or user.overlay.*), as the overlay
// that mounts them reads only those.
Result<std::optional<std::string>> read_layered_file(const std::vector<std::string>& layers,
                                                     const std::string& path,
                                                     WhiteoutFormat format);

}  // namespace berth::image
