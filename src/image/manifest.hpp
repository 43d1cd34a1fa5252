#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.hpp"
#include "image/descriptor.hpp"

namespace berth::image {

// Larger manifests are refused before parsing (containerd and the distribution registry use 4 MiB).
inline constexpr size_t kMaxManifestSize = 4 * 1024 * 1024;

// An OCI image manifest or a Docker schema2 manifest.
struct Manifest {
  std::string media_type;  // as declared, else as the hint or the shape said
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

// An OCI image index or a Docker manifest list.
struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

using ManifestDocument = std::variant<Manifest, Index>;

// The kind is decided by the document's mediaType, else by content_type_hint (the registry's
// Content-Type, parameters allowed), else by its shape. Docker schema1 is refused.
Result<ManifestDocument> parse_manifest(std::string_view bytes,
                                        std::string_view content_type_hint = {});

}  // namespace berth::image
