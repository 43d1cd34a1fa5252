#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace berth::engine {

enum class SeccompMode { default_profile, unconfined, custom };

struct SecurityOptions {
  SeccompMode seccomp = SeccompMode::default_profile;
  std::string seccomp_profile;  // the profile's JSON text when custom
  bool no_new_privileges = false;
};

// HostConfig.SecurityOpt as the Docker daemon reads it: `seccomp=unconfined|builtin|<profile
// JSON>` (the CLI sends the file's contents), `no-new-privileges[=true|false]`; `apparmor=...` and
// `label=...` are accepted and have no effect here. `key:value` is taken for `key=value`, as
// Docker still does. Anything else is an error naming the option.
Result<SecurityOptions> parse_security_opts(const std::vector<std::string>& options);

}  // namespace berth::engine
