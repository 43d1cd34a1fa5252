#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace berth::engine {

struct ExecUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  // The primary gid first, then the groups that list the user, then --group-add, as Docker sets.
  std::vector<uint32_t> additional_gids;
};

// Resolves `user[:group]` (names or numbers) in the container's /etc/passwd and /etc/group, both
// opened under root_fd with RESOLVE_IN_ROOT. An empty user is uid 0. Numeric ids need no entry;
// a name without one is an error: `unable to find user app: no matching entries in passwd file`.
// group_add takes names (looked up in /etc/group) or numbers.
Result<ExecUser> resolve_user(int root_fd, const std::string& user_spec,
                              const std::vector<std::string>& group_add);
// The same with the two files' contents given (empty: no such file).
Result<ExecUser> resolve_user_in(const std::string& passwd, const std::string& group,
                                 const std::string& user_spec,
                                 const std::vector<std::string>& group_add);

}  // namespace berth::engine
