#include "engine/host_accounts.hpp"

#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <type_traits>
#include <vector>

namespace berth::engine {
namespace {

// Calls a getpw*_r / getgr*_r function with a buffer that grows while it says ERANGE.
template <typename Entry, typename Lookup>
std::optional<HostAccount> lookup(Lookup&& call) {
  std::vector<char> buffer(4096);
  Entry entry;
  Entry* found = nullptr;
  for (;;) {
    int rc = call(&entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0 || found == nullptr) return std::nullopt;
    if constexpr (std::is_same_v<Entry, passwd>)
      return HostAccount{found->pw_name, found->pw_uid};
    else
      return HostAccount{found->gr_name, found->gr_gid};
  }
}

}  // namespace

std::optional<HostAccount> host_user(const std::string& name) {
  return lookup<passwd>([&](passwd* e, char* b, size_t n, passwd** r) {
    return ::getpwnam_r(name.c_str(), e, b, n, r);
  });
}

std::optional<HostAccount> host_user(uint32_t uid) {
  return lookup<passwd>(
      [&](passwd* e, char* b, size_t n, passwd** r) { return ::getpwuid_r(uid, e, b, n, r); });
}

std::optional<HostAccount> host_group(const std::string& name) {
  return lookup<group>([&](group* e, char* b, size_t n, group** r) {
    return ::getgrnam_r(name.c_str(), e, b, n, r);
  });
}

std::optional<HostAccount> host_group(uint32_t gid) {
  return lookup<group>(
      [&](group* e, char* b, size_t n, group** r) { return ::getgrgid_r(gid, e, b, n, r); });
}

}  // namespace berth::engine
