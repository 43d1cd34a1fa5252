#pragma once

#include <string>

#include "base/error.hpp"

namespace berth::cli {

struct FilterArg {
  std::string key, value;
};

// One --filter argument, "key=value": Docker's `bad format of filter (expected name=value): X`
// otherwise.
Result<FilterArg> split_filter(const std::string& item);
// A boolean filter (dangling=, all=): true, false, 1 or 0; else `invalid filter 'key=value'`.
Result<bool> filter_bool(const FilterArg& filter);

}  // namespace berth::cli
