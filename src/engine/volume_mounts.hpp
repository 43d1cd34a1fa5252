#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/container_store.hpp"
#include "engine/spec_mounts.hpp"

namespace berth::engine {

class ContainerService;

// The volumes a container's mounts ask for, found or created (anonymous ones named), mounted
// where their driver options say, copied up from the image's files at their destination when new,
// as bind mounts for the spec.
Result<std::vector<MountEntry>> mount_volumes(ContainerService& service,
                                              const ContainerRecord& record,
                                              const std::vector<VolumeRequest>& requests,
                                              const std::string& rootfs);

}  // namespace berth::engine
