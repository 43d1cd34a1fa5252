#pragma once

#include <string>

#include "base/error.hpp"

namespace berth::image {

// A tar entry's name made relative to the layer root: "/", "." and empty components dropped, ".."
// applied lexically. A ".." that climbs above the root is refused. "" is the root itself.
Result<std::string> clean_layer_path(const std::string& name);

struct SplitPath {
  std::string parent;  // "" for the root
  std::string base;    // one component, never "", "." or ".."
};
// Splits a non-empty cleaned path at its last slash.
SplitPath split_layer_path(const std::string& clean);

// "layer entry \"NAME\": WHAT", the form of every per-entry error.
std::string entry_context(const std::string& name);

}  // namespace berth::image
