#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/json_reader.hpp"
#include "image/digest.hpp"
#include "image/platform.hpp"

namespace berth::image {

// An OCI content descriptor: what a manifest or index points at.
struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
};

Result<Descriptor> parse_descriptor(const JsonReader& r);

}  // namespace berth::image
