#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/container_store.hpp"

// Which containers use which volumes, read from their records: named volumes in HostConfig.Binds
// ("name:/dst:ro") and HostConfig.Mounts (Type "volume", Source), and every volume, anonymous
// ones too, in the state's Mounts (Type "volume", Name), as docker inspect shows them.
namespace berth::engine {

std::set<std::string> volumes_of(const ContainerRecord& container);

// Volume name -> ids of the containers that use it.
Result<std::map<std::string, std::vector<std::string>>> volume_users(ContainerStore& containers);

Result<std::vector<std::string>> containers_using_volume(ContainerStore& containers,
                                                         const std::string& name);

}  // namespace berth::engine
