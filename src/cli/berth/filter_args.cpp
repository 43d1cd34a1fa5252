#include "cli/berth/filter_args.hpp"

namespace berth::cli {

Result<FilterArg> split_filter(const std::string& item) {
  size_t eq = item.find('=');
  if (eq == std::string::npos)
    return fail_msg("bad format of filter (expected name=value): " + item);
  return FilterArg{item.substr(0, eq), item.substr(eq + 1)};
}

Result<bool> filter_bool(const FilterArg& f) {
  if (f.value != "true" && f.value != "false" && f.value != "1" && f.value != "0")
    return fail_msg("invalid filter '" + f.key + "=" + f.value + "'");
  return f.value == "true" || f.value == "1";
}

}  // namespace berth::cli
