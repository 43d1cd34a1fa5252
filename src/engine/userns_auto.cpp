#include "engine/userns_auto.hpp"

#include <algorithm>

#include "engine/host_accounts.hpp"

namespace berth::engine {
namespace {

constexpr const char* kPoolUser = "containers";

using Interval = std::pair<uint64_t, uint64_t>;  // [first, second)

// Sorted, with touching and overlapping intervals joined.
std::vector<Interval> merged(std::vector<Interval> in) {
  std::sort(in.begin(), in.end());
  std::vector<Interval> out;
  for (const auto& i : in) {
    if (i.first >= i.second) continue;
    if (!out.empty() && i.first <= out.back().second)
      out.back().second = std::max(out.back().second, i.second);
    else
      out.push_back(i);
  }
  return out;
}

std::vector<Interval> intervals(const std::vector<runtime::IdMapping>& map) {
  std::vector<Interval> out;
  for (const auto& m : map) out.emplace_back(m.host_id, uint64_t{m.host_id} + m.size);
  return out;
}

// free minus used; both merged.
std::vector<Interval> subtract(const std::vector<Interval>& free,
                               const std::vector<Interval>& used) {
  std::vector<Interval> out;
  for (auto [start, end] : free) {
    for (const auto& [s, e] : used) {
      if (e <= start || s >= end) continue;
      if (s > start) out.emplace_back(start, s);
      start = std::max(start, e);
      if (start >= end) break;
    }
    if (start < end) out.emplace_back(start, end);
  }
  return out;
}

Result<std::vector<runtime::IdMapping>> allocate(const std::vector<runtime::IdMapping>& pool,
                                                 uint32_t size, std::vector<Interval> used,
                                                 const std::string& file) {
  auto free = subtract(merged(intervals(pool)), merged(std::move(used)));
  std::vector<SubordinateRange> picked;
  for (const auto& [s, e] : free) {
    if (e - s >= size) {
      picked = {{static_cast<uint32_t>(s), size}};
      break;
    }
  }
  if (picked.empty()) {
    uint64_t left = size;
    for (const auto& [s, e] : free) {
      if (left == 0) break;
      const uint64_t n = std::min(left, e - s);
      picked.push_back({static_cast<uint32_t>(s), static_cast<uint32_t>(n)});
      left -= n;
    }
    if (left > 0)
      return fail_msg("--userns=auto: no free range of " + std::to_string(size) +
                      " ids in the subordinate ids of \"" + kPoolUser + "\" (" + file + ")");
  }
  return stack_ranges(picked);
}

}  // namespace

Result<IdMap> auto_pool(const SubidFiles& files) {
  SubidOwner owner{kPoolUser, std::nullopt, false};
  if (auto user = host_user(kPoolUser)) {
    owner.id = user->id;
    owner.login = true;
  }
  return subid_map(files, "--userns=auto", owner, owner, 0);
}

Result<IdMap> allocate_auto_map(const IdMap& pool, uint32_t size, const std::vector<IdMap>& taken,
                                const SubidFiles& files) {
  if (size == 0) size = kUsernsDefaultSize;
  std::vector<Interval> used_uids, used_gids;
  for (const auto& map : taken) {
    auto u = intervals(map.uids);
    auto g = intervals(map.gids);
    used_uids.insert(used_uids.end(), u.begin(), u.end());
    used_gids.insert(used_gids.end(), g.begin(), g.end());
  }
  IdMap out;
  out.uids = BERTH_TRY(allocate(pool.uids, size, std::move(used_uids), files.subuid));
  out.gids = BERTH_TRY(allocate(pool.gids, size, std::move(used_gids), files.subgid));
  return out;
}

}  // namespace berth::engine
