#include "engine/volume_mounts.hpp"

namespace berth::engine {

Result<std::vector<MountEntry>> mount_volumes(ContainerService&, const ContainerRecord& record,
                                              const std::vector<VolumeRequest>& requests,
                                              const std::string&) {
  if (!requests.empty())
    return fail_msg("container " + record.name + ": volume " + quote(requests[0].destination) +
                    ": volumes are not supported yet");
  return std::vector<MountEntry>{};
}

}  // namespace berth::engine
