#pragma once

#include <string>
#include <vector>

#include "runtime/spec.hpp"

namespace berth_test {

// "container:host:size " per mapping, for comparing maps in one expectation.
inline std::string text(const std::vector<berth::runtime::IdMapping>& map) {
  std::string out;
  for (const auto& m : map)
    out += std::to_string(m.container_id) + ":" + std::to_string(m.host_id) + ":" +
           std::to_string(m.size) + " ";
  return out;
}

}  // namespace berth_test
