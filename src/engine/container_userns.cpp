#include "engine/container_userns.hpp"

#include <sstream>

#include "base/fs.hpp"
#include "engine/paths.hpp"
#include "engine/userns_auto.hpp"
#include "engine/userns_keep_id.hpp"
#include "engine/userns_mode.hpp"

namespace berth::engine {

namespace {

// The user namespace rootless berth runs in, read back from the kernel: the user's own host id
// as 0, and the rest of the ids it maps (its subordinate ranges) as the namespace numbers them.
struct OwnNamespace {
  uint32_t host_uid = 0, host_gid = 0;
  std::vector<SubordinateRange> uid_rest, gid_rest;
};

Status read_map(const char* file, uint32_t& own, std::vector<SubordinateRange>& rest) {
  auto text = fs::read_file(file);
  if (!text) return fail(text.error());
  std::istringstream in(*text);
  uint64_t inside = 0, outside = 0, count = 0;
  bool found = false;
  while (in >> inside >> outside >> count) {
    if (inside == 0 && count == 1) {
      own = static_cast<uint32_t>(outside);
      found = true;
    } else {
      rest.push_back({static_cast<uint32_t>(inside), static_cast<uint32_t>(count)});
    }
  }
  if (!found)
    return fail_msg(std::string(file) + ": not rootless berth's layout (the user's own id as 0)");
  return {};
}

Result<OwnNamespace> own_namespace() {
  OwnNamespace ns;
  BERTH_CHECK(read_map("/proc/self/uid_map", ns.host_uid, ns.uid_rest));
  BERTH_CHECK(read_map("/proc/self/gid_map", ns.host_gid, ns.gid_rest));
  return ns;
}

Result<std::optional<IdMap>> rootless_id_map(const UsernsMode& mode, const std::string& value) {
  using Kind = UsernsMode::Kind;
  if (mode.kind == Kind::auto_)
    return fail_msg("--userns=" + value + ": not supported by rootless berth yet");
  if (mode.kind != Kind::keep_id) return std::optional<IdMap>{};
  if (!in_user_namespace())
    return fail_msg("--userns=keep-id: the user has no subordinate ids (see berth system check)");
  OwnNamespace ns = BERTH_TRY(own_namespace());
  // In the namespace's numbering: the user is 0 there.
  return std::optional<IdMap>{
      BERTH_TRY(keep_id_map(0, 0, ns.uid_rest, ns.gid_rest, mode.keep_uid.value_or(ns.host_uid),
                            mode.keep_gid.value_or(ns.host_gid)))};
}

}  // namespace

Result<IdMap> rootless_match_user_map(uint32_t uid, uint32_t gid) {
  if (!in_user_namespace())
    return fail_msg(
        "match-user for a container user other than root: the user has no "
        "subordinate ids (see berth system check)");
  OwnNamespace ns = BERTH_TRY(own_namespace());
  return keep_id_map(0, 0, ns.uid_rest, ns.gid_rest, uid, gid);
}

Result<std::string> keep_id_user(const HostConfig& host) {
  UsernsMode mode = BERTH_TRY(parse_userns_mode(host.userns_mode));
  OwnNamespace ns = BERTH_TRY(own_namespace());
  return std::to_string(mode.keep_uid.value_or(ns.host_uid)) + ":" +
         std::to_string(mode.keep_gid.value_or(ns.host_gid));
}

Result<std::optional<IdMap>> choose_id_map(const UsernsSettings& settings, const HostConfig& host,
                                           const std::vector<IdMap>& taken) {
  UsernsMode mode = BERTH_TRY(parse_userns_mode(host.userns_mode));
  using Kind = UsernsMode::Kind;
  if (settings.rootless) return rootless_id_map(mode, host.userns_mode);
  if (mode.kind == Kind::keep_id)
    return fail_msg("--userns=keep-id: only for rootless berth (root's id is 0 inside already)");
  if (mode.kind == Kind::host) return std::optional<IdMap>{};
  std::optional<IdMap> map;
  if (mode.kind == Kind::auto_) {
    IdMap pool = BERTH_TRY(auto_pool());
    std::vector<IdMap> busy = taken;
    if (!settings.remap.empty()) busy.push_back(BERTH_TRY(resolve_userns_remap(settings.remap)));
    map = BERTH_TRY(allocate_auto_map(pool, mode.auto_size, busy));
  } else if (!settings.remap.empty()) {
    map = BERTH_TRY(resolve_userns_remap(settings.remap));
  }
  if (map && host.privileged)
    return fail_msg(
        "privileged mode is incompatible with user namespaces: run the container with "
        "--userns=host");
  return map;
}

Result<std::optional<IdMap>> recorded_id_map(const nlohmann::json& state) {
  auto it = state.find("IdMap");
  if (it == state.end() || it->is_null()) return std::optional<IdMap>{};
  auto map = IdMap::from_json(*it);
  if (!map) return fail(map.error().wrap("container state: IdMap"));
  return std::optional<IdMap>{std::move(*map)};
}

void record_id_map(nlohmann::json& state, const IdMap& map) {
  state["IdMap"] = map.to_json();
}

}  // namespace berth::engine
