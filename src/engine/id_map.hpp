#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "engine/subordinate_ids.hpp"
#include "runtime/spec.hpp"

namespace berth::engine {

// The user namespace of a container: container ids from 0 up, contiguous; several host ranges
// combine. Empty: the host's ids (no user namespace of its own).
struct IdMap {
  std::vector<runtime::IdMapping> uids, gids;

  // The host ids of the container's root (0 when the map is empty).
  uint32_t root_uid() const;
  uint32_t root_gid() const;
  // The number of ids mapped: the smaller of the uid and gid totals.
  uint32_t size() const;
  bool empty() const { return uids.empty() && gids.empty(); }
  // The host id that container id maps to, if any.
  std::optional<uint32_t> host_uid(uint32_t container_uid) const;
  std::optional<uint32_t> host_gid(uint32_t container_gid) const;

  // {"UidMap": [{"ContainerID": 0, "HostID": 100000, "Size": 65536}], "GidMap": [...]}
  nlohmann::json to_json() const;
  static Result<IdMap> from_json(const nlohmann::json& j);

  // Container ids from 0 up over the host ranges, in order.
  static IdMap from_ranges(const std::vector<SubordinateRange>& uid_ranges,
                           const std::vector<SubordinateRange>& gid_ranges);
};

// The host id of a container id under a user namespace's map; nullopt when unmapped.
std::optional<uint32_t> host_id_of(const std::vector<runtime::IdMapping>& map, uint32_t id);
// The container id of a host id; nullopt when the map does not reach it.
std::optional<uint32_t> container_id_of(const std::vector<runtime::IdMapping>& map, uint32_t id);

// The ranges in order, each without the ids an earlier one already has, and clipped below
// 4294967295 (the kernel's invalid id), so that a line listed twice (by name and by id) maps once.
std::vector<SubordinateRange> distinct_ranges(const std::vector<SubordinateRange>& ranges);

// Container ids from 0 up over the host ranges, in order.
std::vector<runtime::IdMapping> stack_ranges(const std::vector<SubordinateRange>& ranges);

// The host side of a map.
std::vector<SubordinateRange> host_ranges(const std::vector<runtime::IdMapping>& map);

uint64_t total_ids(const std::vector<SubordinateRange>& ranges);

}  // namespace berth::engine
