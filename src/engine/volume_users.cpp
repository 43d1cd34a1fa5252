#include "engine/volume_users.hpp"

namespace berth::engine {

namespace {

using json = nlohmann::json;

const json* array_at(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it != object.end() && it->is_array() ? &*it : nullptr;
}

std::string string_at(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::set<std::string> volumes_of(const ContainerRecord& c) {
  std::set<std::string> names;
  if (const json* binds = array_at(c.host_config, "Binds")) {
    for (const auto& b : *binds) {
      if (!b.is_string()) continue;
      const std::string& spec = b.get_ref<const std::string&>();
      auto colon = spec.find(':');
      // A source that is not a path is a volume's name; "/dst" alone is an anonymous volume.
      if (colon == std::string::npos || colon == 0 || spec[0] == '/' || spec[0] == '.') continue;
      names.insert(spec.substr(0, colon));
    }
  }
  if (const json* mounts = array_at(c.host_config, "Mounts")) {
    for (const auto& m : *mounts) {
      std::string source = string_at(m, "Source");
      if (string_at(m, "Type") == "volume" && !source.empty()) names.insert(source);
    }
  }
  if (const json* mounts = array_at(c.state, "Mounts")) {
    for (const auto& m : *mounts) {
      std::string name = string_at(m, "Name");
      if (string_at(m, "Type") == "volume" && !name.empty()) names.insert(name);
    }
  }
  return names;
}

Result<std::map<std::string, std::vector<std::string>>> volume_users(ContainerStore& containers) {
  std::map<std::string, std::vector<std::string>> users;
  for (const auto& c : BERTH_TRY(containers.list()))
    for (const auto& name : volumes_of(c)) users[name].push_back(c.id);
  return users;
}

Result<std::vector<std::string>> containers_using_volume(ContainerStore& containers,
                                                         const std::string& name) {
  std::vector<std::string> ids;
  for (const auto& c : BERTH_TRY(containers.list()))
    if (volumes_of(c).contains(name)) ids.push_back(c.id);
  return ids;
}

}  // namespace berth::engine
