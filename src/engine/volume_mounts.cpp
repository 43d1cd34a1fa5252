#include "engine/volume_mounts.hpp"

#include <fcntl.h>

#include <algorithm>

#include "base/syscalls.hpp"
#include "engine/volume_users.hpp"

namespace berth::engine {
namespace {

using json = nlohmann::json;

bool read_only(const MountEntry& m) {
  return std::find(m.options.begin(), m.options.end(), "ro") != m.options.end();
}

const json* recorded_volume(const json& mounts, const std::string& destination) {
  if (!mounts.is_array()) return nullptr;
  for (const auto& m : mounts)
    if (m.value("Type", "") == "volume" && m.value("Destination", "") == destination) return &m;
  return nullptr;
}

}  // namespace

Result<json> create_volumes(VolumeService& volumes, const MountPlan& plan) {
  json mounts = json::array();
  for (const auto& b : plan.mounts) {
    if (b.type != "bind") continue;
    mounts.push_back({{"Type", "bind"},
                      {"Source", b.source},
                      {"Destination", b.destination},
                      {"Mode", ""},
                      {"RW", !read_only(b)},
                      {"Propagation", "rprivate"}});
  }
  for (const auto& req : plan.volumes) {
    if (!req.subpath.empty())
      return fail_msg("volume " + req.name + " at " + req.destination +
                      ": volume subpaths are not supported");
    auto v = BERTH_TRY(volumes.create(req.name, req.driver, req.driver_options, req.labels));
    mounts.push_back({{"Type", "volume"},
                      {"Name", v.name},
                      {"Source", v.mountpoint},
                      {"Destination", req.destination},
                      {"Driver", v.driver},
                      {"Mode", ""},
                      {"RW", !req.read_only},
                      {"Propagation", ""}});
  }
  return mounts;
}

Result<std::vector<MountEntry>> mount_volumes(VolumeService& volumes, const json& mounts,
                                              const std::vector<VolumeRequest>& requests,
                                              const std::string& rootfs,
                                              const OwnerTranslation& translate,
                                              std::optional<VolumeOwner> empty_root_owner) {
  std::vector<MountEntry> out;
  if (requests.empty()) return out;
  auto root = BERTH_TRY(sys::open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC));
  for (const auto& req : requests) {
    const json* recorded = recorded_volume(mounts, req.destination);
    std::string name = recorded ? recorded->value("Name", "") : req.name;
    if (name.empty())
      return fail_msg("volume at " + req.destination +
                      ": not recorded at create; recreate the "
                      "container");
    auto v = BERTH_TRY(volumes.get(name));
    std::string path = BERTH_TRY(volumes.mount(v));
    if (!req.no_copy) BERTH_CHECK(volumes.copy_up(v, root.get(), req.destination, translate));
    if (empty_root_owner) BERTH_CHECK(volumes.give_empty_root(v, *empty_root_owner));
    out.push_back(volume_mount(req, path));
  }
  return out;
}

Status remove_anonymous_volumes(VolumeService& volumes, ContainerStore& containers,
                                const ContainerRecord& record) {
  const json mounts = record.state.value("Mounts", json::array());
  for (const auto& m : mounts) {
    if (m.value("Type", "") != "volume") continue;
    auto v = BERTH_TRY(volumes.find(m.value("Name", "")));
    if (!v || !v->anonymous) continue;
    auto users = BERTH_TRY(containers_using_volume(containers, v->name));
    std::erase(users, record.id);
    if (!users.empty()) continue;
    BERTH_CHECK(volumes.remove(v->name, true, {}));
  }
  return {};
}

}  // namespace berth::engine
