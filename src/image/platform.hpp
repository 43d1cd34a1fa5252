#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/json_reader.hpp"

namespace berth::image {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string os_version;
  std::vector<std::string> os_features;

  // "linux/arm64/v8", "linux/amd64".
  std::string str() const;
  bool operator==(const Platform&) const = default;
};

// The `platform` object of an index entry.
Result<Platform> parse_platform(const JsonReader& r);

// The platform for a uname machine name: x86_64 -> amd64, aarch64 -> arm64/v8, armv7l -> arm/v7.
Platform platform_for_machine(std::string_view machine);
Platform host_platform();

}  // namespace berth::image
