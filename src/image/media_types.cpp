#include "image/media_types.hpp"

namespace berth::image::media_type {

bool is_manifest(std::string_view type) {
  return type == kOciManifest || type == kDockerManifest;
}

bool is_index(std::string_view type) {
  return type == kOciIndex || type == kDockerManifestList;
}

bool is_config(std::string_view type) {
  return type == kOciConfig || type == kDockerConfig;
}

bool is_layer(std::string_view type) {
  return type == kOciLayer || type == kOciLayerGzip || type == kOciLayerZstd ||
         type == kOciLayerNondistributable || type == kOciLayerNondistributableGzip ||
         type == kOciLayerNondistributableZstd || type == kDockerLayer ||
         type == kDockerForeignLayer;
}

bool is_schema1(std::string_view type) {
  return type == kDockerSchema1 || type == kDockerSchema1Signed;
}

}  // namespace berth::image::media_type
