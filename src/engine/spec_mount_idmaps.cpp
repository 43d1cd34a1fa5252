#include "engine/spec_mount_idmaps.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "base/strings.hpp"

namespace berth::engine {
namespace {

// The kernel's ids run from 0 to 2^32 - 2: (uid_t)-1 means "no id".
constexpr uint64_t kIdCount = std::numeric_limits<uint32_t>::max();

bool parse_u32(std::string_view s, uint32_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

Result<std::vector<runtime::IdMapping>> parse_podman_ranges(
    std::string_view list, const std::vector<runtime::IdMapping>& container_map,
    const std::string& shown) {
  std::vector<runtime::IdMapping> out;
  for (const auto& entry : split(std::string(list), '#')) {
    auto bad = [&](const std::string& why) {
      return fail_msg("idmap " + quote(shown) + ": " + quote(entry) + ": " + why);
    };
    auto parts = split(entry, '-');
    bool relative = !parts.empty() && parts.front().starts_with('@');
    if (relative) parts.front().erase(0, 1);
    runtime::IdMapping m;
    if (parts.size() != 3 || !parse_u32(parts[0], m.container_id) ||
        !parse_u32(parts[1], m.host_id) || !parse_u32(parts[2], m.size) || m.size == 0)
      return bad("want ON_DISK-HOST-COUNT (or @ON_DISK-CONTAINER-COUNT)");
    if (relative && container_map.empty()) {
      out.push_back(m);  // only the form is checked: no container yet
    } else if (relative) {
      // "@A-B-N": B..B+N-1 are container ids; each maps on its own, the ranges may split.
      for (uint32_t i = 0; i < m.size; ++i) {
        auto host = host_id_of(container_map, m.host_id + i);
        if (!host) return bad("container id " + std::to_string(m.host_id + i) + " is not mapped");
        if (!out.empty() && out.back().container_id + out.back().size == m.container_id + i &&
            out.back().host_id + out.back().size == *host)
          ++out.back().size;
        else
          out.push_back({m.container_id + i, *host, 1});
      }
    } else {
      out.push_back(m);
    }
  }
  return out;
}

Status parse_podman_idmap(const std::string& request, const MountUser& user, MountEntry& m) {
  std::string value = request.substr(std::string_view("idmap=").size());
  for (const auto& part : split(value, ';')) {
    if (part.starts_with("uids="))
      m.uid_mappings = BERTH_TRY(parse_podman_ranges(part.substr(5), user.uid_map, request));
    else if (part.starts_with("gids="))
      m.gid_mappings = BERTH_TRY(parse_podman_ranges(part.substr(5), user.gid_map, request));
    else
      return fail_msg("idmap " + quote(request) + ": " + quote(part) +
                      ": want uids=... or gids=...");
  }
  if (m.uid_mappings.empty() || m.gid_mappings.empty())
    return fail_msg("idmap " + quote(request) + ": give both uids= and gids=");
  return {};
}

Status resolve_match_user(MountEntry& m, const MountUser& user) {
  struct stat st;
  if (::stat(m.source.c_str(), &st) < 0)
    return fail_sys("match-user: stat bind source " + quote(m.source));
  auto as_host = [](const std::vector<runtime::IdMapping>& map, uint32_t id,
                    const char* kind) -> Result<uint32_t> {
    if (map.empty()) return id;
    auto host = host_id_of(map, id);
    if (!host)
      return fail_msg(std::string("match-user: the container's ") + kind + " " +
                      std::to_string(id) + " is not mapped in its user namespace");
    return *host;
  };
  uint32_t uid = BERTH_TRY(as_host(user.uid_map, user.uid, "uid"));
  uint32_t gid = BERTH_TRY(as_host(user.gid_map, user.gid, "gid"));
  if (st.st_uid == uid && st.st_gid == gid) return {};  // already the owner: nothing to map
  if (user.rootless)
    return fail_msg("match-user " + quote(m.source) +
                    ": rootless, the kernel gives users no idmapped mounts: only a folder of the "
                    "user's own matches, and only without a --userns that maps the container's "
                    "user to other ids");
  m.uid_mappings = swap_map(st.st_uid, uid);
  m.gid_mappings = swap_map(st.st_gid, gid);
  m.options.push_back("idmap");
  m.options.push_back("nosuid");
  return {};
}

}  // namespace

std::vector<runtime::IdMapping> swap_map(uint32_t a, uint32_t b) {
  if (a == b) return {{0, 0, static_cast<uint32_t>(kIdCount)}};
  uint32_t lo = std::min(a, b), hi = std::max(a, b);
  std::vector<runtime::IdMapping> out;
  if (lo > 0) out.push_back({0, 0, lo});
  out.push_back({lo, hi, 1});
  if (hi - lo > 1) out.push_back({lo + 1, lo + 1, hi - lo - 1});
  out.push_back({hi, lo, 1});
  if (kIdCount - hi > 1) out.push_back({hi + 1, hi + 1, static_cast<uint32_t>(kIdCount - hi - 1)});
  return out;
}

Status resolve_mount_idmaps(std::vector<MountEntry>& mounts, const MountUser& user) {
  for (auto& m : mounts) {
    if (m.idmap.empty()) continue;
    auto rootless_refusal = [&] {
      return fail_msg(m.idmap + " " + quote(m.source) +
                      ": rootless, the kernel gives users no idmapped mounts (match-user works "
                      "without one)");
    };
    if (m.idmap == "match-user") {
      BERTH_CHECK(resolve_match_user(m, user));
    } else if (m.idmap == "idmap") {
      if (user.uid_map.empty()) continue;  // no user namespace of its own: nothing to map
      if (user.rootless) return rootless_refusal();
      m.options.push_back("idmap");
    } else if (m.idmap.starts_with("idmap=")) {
      if (user.rootless) return rootless_refusal();
      BERTH_CHECK(parse_podman_idmap(m.idmap, user, m));
      m.options.push_back("idmap");
    } else {
      BERTH_CHECK(check_idmap_request(m.idmap));
    }
  }
  return {};
}

Status check_idmap_request(const std::string& request) {
  if (request.empty() || request == "match-user" || request == "idmap") return {};
  if (!request.starts_with("idmap="))
    return fail_msg("unknown idmap " + quote(request) +
                    " (match-user, idmap, or idmap=uids=...;gids=...)");
  MountEntry scratch;
  return parse_podman_idmap(request, MountUser{}, scratch);
}

}  // namespace berth::engine
