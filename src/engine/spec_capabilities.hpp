#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace berth::engine {

// The container's capabilities as OCI names, the way Docker computes them: its default set
// (runtime::docker_default_capabilities) less --cap-drop, plus --cap-add. Names are
// case-insensitive, with or without "CAP_"; "ALL" in cap_add grants every available capability but
// the dropped ones, "ALL" in cap_drop leaves only the added ones. Privileged: every available
// capability. Available: those berth itself holds when it runs as root (a root that lacks some,
// as in a container, cannot grant them), every capability the kernel knows when the container has
// a user namespace of berth's (rootless). An unknown name is an error:
// `unknown capability: "CAP_FOO"`; one that is not available too.
Result<std::vector<std::string>> container_capabilities(const std::vector<std::string>& cap_add,
                                                        const std::vector<std::string>& cap_drop,
                                                        bool privileged, bool rootless);

}  // namespace berth::engine
