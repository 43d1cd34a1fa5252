#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image/digest.hpp"

namespace berth::image {

struct ImageRecord {
  Digest id;  // the config digest (Docker's image id)
  Digest manifest_digest;
  std::string manifest_media_type;
  std::vector<std::string> repo_tags;     // full names: "docker.io/library/busybox:latest"
  std::vector<std::string> repo_digests;  // "docker.io/library/busybox@sha256:..."
  std::string created;                    // the config's "created"
  int64_t added_unix = 0;
  uint64_t size = 0;  // sum of the layers' uncompressed (diff) sizes, as docker's Size
};

}  // namespace berth::image
