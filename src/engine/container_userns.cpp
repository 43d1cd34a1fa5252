#include "engine/container_userns.hpp"

#include "engine/userns_auto.hpp"
#include "engine/userns_mode.hpp"

namespace berth::engine {

Result<std::optional<IdMap>> choose_id_map(const UsernsSettings& settings, const HostConfig& host,
                                           const std::vector<IdMap>& taken) {
  UsernsMode mode = BERTH_TRY(parse_userns_mode(host.userns_mode));
  using Kind = UsernsMode::Kind;
  if (settings.rootless) {
    if (mode.kind == Kind::auto_ || mode.kind == Kind::keep_id)
      return fail_msg("--userns=" + host.userns_mode + ": not supported by rootless berth yet");
    return std::optional<IdMap>{};
  }
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
