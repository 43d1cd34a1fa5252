#include "engine/id_map.hpp"

#include <algorithm>
#include <limits>

#include "base/json_reader.hpp"

namespace berth::engine {
namespace {

// Ids are below 4294967295, which the kernel reserves as "no id".
constexpr uint64_t kIdLimit = std::numeric_limits<uint32_t>::max();

uint64_t map_total(const std::vector<runtime::IdMapping>& map) {
  uint64_t total = 0;
  for (const auto& m : map) total += m.size;
  return total;
}

nlohmann::json map_json(const std::vector<runtime::IdMapping>& map) {
  auto out = nlohmann::json::array();
  for (const auto& m : map)
    out.push_back({{"ContainerID", m.container_id}, {"HostID", m.host_id}, {"Size", m.size}});
  return out;
}

Result<uint32_t> id_field(const JsonReader& r, const std::string& key) {
  auto v = BERTH_TRY(r.optional_uint(key));
  if (!v) return fail(r.error(key, "missing"));
  if (*v >= kIdLimit) return fail(r.error(key, "must be below 4294967295"));
  return static_cast<uint32_t>(*v);
}

Result<std::vector<runtime::IdMapping>> parse_map(const JsonReader& r, const std::string& key) {
  std::vector<runtime::IdMapping> out;
  uint64_t next = 0;
  for (const auto& m : BERTH_TRY(r.array(key))) {
    BERTH_CHECK(m.expect_object());
    runtime::IdMapping id;
    id.container_id = BERTH_TRY(id_field(m, "ContainerID"));
    id.host_id = BERTH_TRY(id_field(m, "HostID"));
    id.size = BERTH_TRY(id_field(m, "Size"));
    if (id.size == 0) return fail(m.error("Size", "must be greater than 0"));
    if (id.container_id != next)
      return fail(m.error("ContainerID", "must be " + std::to_string(next) +
                                             " (container ids are contiguous from 0)"));
    if (uint64_t{id.host_id} + id.size > kIdLimit)
      return fail(m.error("Size", "host ids beyond 4294967294"));
    next += id.size;
    if (next > kIdLimit) return fail(m.error("Size", "container ids beyond 4294967294"));
    out.push_back(id);
  }
  return out;
}

}  // namespace

std::optional<uint32_t> host_id_of(const std::vector<runtime::IdMapping>& map, uint32_t id) {
  for (const auto& m : map)
    if (id >= m.container_id && id - m.container_id < m.size)
      return m.host_id + (id - m.container_id);
  return std::nullopt;
}

std::optional<uint32_t> container_id_of(const std::vector<runtime::IdMapping>& map, uint32_t id) {
  for (const auto& m : map)
    if (id >= m.host_id && id - m.host_id < m.size) return m.container_id + (id - m.host_id);
  return std::nullopt;
}

uint32_t IdMap::root_uid() const {
  return host_uid(0).value_or(0);
}

uint32_t IdMap::root_gid() const {
  return host_gid(0).value_or(0);
}

uint32_t IdMap::size() const {
  return static_cast<uint32_t>(std::min(map_total(uids), map_total(gids)));
}

std::optional<uint32_t> IdMap::host_uid(uint32_t container_uid) const {
  return host_id_of(uids, container_uid);
}

std::optional<uint32_t> IdMap::host_gid(uint32_t container_gid) const {
  return host_id_of(gids, container_gid);
}

nlohmann::json IdMap::to_json() const {
  return {{"UidMap", map_json(uids)}, {"GidMap", map_json(gids)}};
}

Result<IdMap> IdMap::from_json(const nlohmann::json& j) {
  JsonReader r(j, "IdMap");
  BERTH_CHECK(r.expect_object());
  IdMap map;
  map.uids = BERTH_TRY(parse_map(r, "UidMap"));
  map.gids = BERTH_TRY(parse_map(r, "GidMap"));
  if (map.uids.empty() != map.gids.empty())
    return fail_msg("IdMap: needs both UidMap and GidMap, or neither");
  return map;
}

IdMap IdMap::from_ranges(const std::vector<SubordinateRange>& uid_ranges,
                         const std::vector<SubordinateRange>& gid_ranges) {
  return IdMap{stack_ranges(uid_ranges), stack_ranges(gid_ranges)};
}

std::vector<SubordinateRange> distinct_ranges(const std::vector<SubordinateRange>& ranges) {
  std::vector<SubordinateRange> out;
  // Half-open [first, second) intervals already given out, sorted.
  std::vector<std::pair<uint64_t, uint64_t>> seen;
  for (const auto& r : ranges) {
    uint64_t start = r.start;
    const uint64_t end = std::min(uint64_t{r.start} + r.count, kIdLimit);
    std::vector<std::pair<uint64_t, uint64_t>> pieces;
    for (const auto& [s, e] : seen) {
      if (start >= end) break;
      if (e <= start) continue;
      if (s >= end) break;
      if (s > start) pieces.emplace_back(start, s);
      start = std::max(start, e);
    }
    if (start < end) pieces.emplace_back(start, end);
    for (const auto& [s, e] : pieces) {
      out.push_back({static_cast<uint32_t>(s), static_cast<uint32_t>(e - s)});
      seen.emplace_back(s, e);
    }
    std::sort(seen.begin(), seen.end());
  }
  return out;
}

std::vector<runtime::IdMapping> stack_ranges(const std::vector<SubordinateRange>& ranges) {
  std::vector<runtime::IdMapping> out;
  uint64_t next = 0;
  for (const auto& r : ranges) {
    if (r.count == 0) continue;
    const uint64_t size = std::min<uint64_t>(r.count, kIdLimit - next);
    if (size == 0) break;
    out.push_back({static_cast<uint32_t>(next), r.start, static_cast<uint32_t>(size)});
    next += size;
  }
  return out;
}

std::vector<SubordinateRange> host_ranges(const std::vector<runtime::IdMapping>& map) {
  std::vector<SubordinateRange> out;
  for (const auto& m : map) out.push_back({m.host_id, m.size});
  return out;
}

uint64_t total_ids(const std::vector<SubordinateRange>& ranges) {
  uint64_t total = 0;
  for (const auto& r : ranges) total += r.count;
  return total;
}

}  // namespace berth::engine
