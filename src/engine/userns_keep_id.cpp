#include "engine/userns_keep_id.hpp"

namespace berth::engine {
namespace {

Result<std::vector<runtime::IdMapping>> keep_id_side(const char* kind, uint32_t own,
                                                     const std::vector<SubordinateRange>& ranges,
                                                     uint32_t keep) {
  const std::string k = kind;
  auto rs = distinct_ranges(ranges);
  for (const auto& r : rs)
    if (own >= r.start && own - r.start < r.count)
      return fail_msg("--userns=keep-id: " + k + " " + std::to_string(own) +
                      " is inside its own subordinate " + k + "s (" + std::to_string(r.start) +
                      "-" + std::to_string(uint64_t{r.start} + r.count - 1) + ")");
  const uint64_t total = total_ids(rs);
  if (keep > total)
    return fail_msg("--userns=keep-id: " + k + " " + std::to_string(keep) + " needs " +
                    std::to_string(keep) + " subordinate " + k + "s below it, the user has " +
                    std::to_string(total));
  if (total >= 4294967295u)
    return fail_msg("--userns=keep-id: the subordinate " + k + "s leave no container id for " +
                    std::to_string(keep));
  std::vector<runtime::IdMapping> out;
  uint64_t next = 0;
  bool placed = false;
  auto place = [&] {
    if (placed || next != keep) return;
    out.push_back({keep, own, 1});
    ++next;
    placed = true;
  };
  for (const auto& r : rs) {
    uint64_t host = r.start, left = r.count;
    while (left > 0) {
      place();
      const uint64_t n = placed ? left : std::min(left, keep - next);
      out.push_back(
          {static_cast<uint32_t>(next), static_cast<uint32_t>(host), static_cast<uint32_t>(n)});
      next += n;
      host += n;
      left -= n;
    }
  }
  place();
  return out;
}

}  // namespace

Result<IdMap> keep_id_map(uint32_t own_uid, uint32_t own_gid,
                          const std::vector<SubordinateRange>& uid_ranges,
                          const std::vector<SubordinateRange>& gid_ranges,
                          std::optional<uint32_t> uid, std::optional<uint32_t> gid) {
  IdMap map;
  map.uids = BERTH_TRY(keep_id_side("uid", own_uid, uid_ranges, uid.value_or(own_uid)));
  map.gids = BERTH_TRY(keep_id_side("gid", own_gid, gid_ranges, gid.value_or(own_gid)));
  return map;
}

}  // namespace berth::engine
