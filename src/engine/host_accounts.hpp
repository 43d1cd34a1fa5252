#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace berth::engine {

// An entry of the host's passwd or group database (through NSS).
struct HostAccount {
  std::string name;
  uint32_t id = 0;
};

std::optional<HostAccount> host_user(const std::string& name);
std::optional<HostAccount> host_user(uint32_t uid);
std::optional<HostAccount> host_group(const std::string& name);
std::optional<HostAccount> host_group(uint32_t gid);

}  // namespace berth::engine
