#pragma once

#include <string>

#include "base/error.hpp"
#include "engine/container_config.hpp"
#include "image/image_config.hpp"

// What the Docker daemon fills in at create time, so that a stored config reads as
// `docker inspect` shows it. Both functions are idempotent: applying them to a config they already
// made changes nothing, so a stored config may go through them again.
namespace berth::engine {

// Fills the user's config from the image's: User, WorkingDir, StopSignal and Healthcheck when
// unset; Env, Labels, ExposedPorts and Volumes merged (the user's keys win); Cmd and Entrypoint by
// Docker's rules (a user Entrypoint drops the image's Cmd; `--entrypoint ""`, sent as [""], resets
// the image's Entrypoint and is stored as []). Fails with "no command specified" when neither
// Entrypoint nor Cmd is left.
Status merge_image_config(ContainerConfig& config, const image::ContainerConfig& image);

// Hostname (the first 12 characters of the id, or the host's name with --network host
// or --uts host),
// ShmSize 64 MiB, MemorySwap twice Memory, IpcMode "private", CgroupnsMode "private",
// LogConfig "json-file", RestartPolicy "no", a PidsLimit of 0 or less as unset.
void apply_create_defaults(ContainerConfig& config, HostConfig& host, const std::string& id);

inline constexpr int64_t kDefaultShmSize = 64 * 1024 * 1024;

}  // namespace berth::engine
