#pragma once

#include <string>

#include "base/error.hpp"

namespace berth::engine {

// Whether the kernel idmaps mounts of the filesystem dir is on, tried on a detached clone of it
// (nothing is attached). Rootful only: the kernel gives unprivileged users no idmapped mounts of
// host filesystems.
bool can_idmap(const std::string& dir);

}  // namespace berth::engine
