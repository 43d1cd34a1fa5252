#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/container_config.hpp"

// The container process of a config already merged with its image's (merge_image_config).
namespace berth::engine {

// Entrypoint then Cmd; "no command specified" when both are empty.
Result<std::vector<std::string>> container_args(const ContainerConfig& config);

// Docker's environment: PATH (its default), HOSTNAME, TERM=xterm with a tty, then Config.Env,
// each entry replacing one of the same name or appended; an entry without "=" removes its name.
std::vector<std::string> container_env(const ContainerConfig& config);

// WorkingDir, which must be absolute; "/" when unset.
Result<std::string> container_cwd(const ContainerConfig& config);

// Creates the working directory in the container root (resolved in it) where it is missing, as
// Docker does before the container starts, so that a read-only root still has it. New
// directories are owned by owner (the host ids of the container's root) when given.
struct HostIds {
  uint32_t uid = 0;
  uint32_t gid = 0;
};
Status ensure_working_dir(int root_fd, const std::string& cwd, std::optional<HostIds> owner);

inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace berth::engine
