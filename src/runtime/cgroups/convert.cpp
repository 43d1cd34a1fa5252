#include "runtime/cgroups/convert.hpp"

namespace berth::runtime::cgroups {

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight < 10) weight = 10;
  if (weight > 1000) weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

Result<std::optional<int64_t>> v2_swap_max(std::optional<int64_t> limit,
                                           std::optional<int64_t> swap) {
  if (limit && *limit == 0) limit.reset();
  if (swap && *swap == 0) swap.reset();
  if (!swap) {
    if (limit && *limit < 0) return std::optional<int64_t>(-1);
    return std::optional<int64_t>();
  }
  if (*swap < 0) return std::optional<int64_t>(-1);
  if (!limit || *limit < 0)
    return fail_msg("memory.swap " + std::to_string(*swap) +
                    ": cannot limit swap without a memory limit");
  if (*swap < *limit)
    return fail_msg("memory.swap " + std::to_string(*swap) + ": must be >= memory.limit " +
                    std::to_string(*limit) + " (it is memory+swap)");
  return std::optional<int64_t>(*swap - *limit);
}

std::string v2_limit(int64_t value) {
  return value < 0 ? "max" : std::to_string(value);
}

Status check_page_size(const std::string& page_size) {
  size_t digits = 0;
  while (digits < page_size.size() && page_size[digits] >= '0' && page_size[digits] <= '9')
    ++digits;
  auto unit = page_size.substr(digits);
  if (digits == 0 || (unit != "KB" && unit != "MB" && unit != "GB"))
    return fail_msg("hugepageLimits: bad pageSize " + quote(page_size));
  return {};
}

}  // namespace berth::runtime::cgroups
