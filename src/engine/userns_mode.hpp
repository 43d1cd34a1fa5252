#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace berth::engine {

// A container's --userns, in Podman's spellings.
struct UsernsMode {
  enum class Kind { unset, host, private_, auto_, keep_id } kind = Kind::unset;
  uint32_t auto_size = 0;  // 0: default (65536)
  std::optional<uint32_t> keep_uid, keep_gid;

  // The value parse_userns_mode reads back: "", "host", "auto:size=1000", "keep-id:uid=1,gid=2".
  std::string str() const;
};

// "" | "host" | "private" | "auto" | "auto:size=N" | "keep-id" | "keep-id:uid=U,gid=G" (either
// or both of uid and gid); anything else is an error.
Result<UsernsMode> parse_userns_mode(std::string_view value);

}  // namespace berth::engine
