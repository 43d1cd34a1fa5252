#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace berth::image {

// Applies Dockerfile instructions, as `docker import --change` and `docker commit --change` take
// them, in order, to the `config` object of an image config (Docker's keys: Cmd, Entrypoint, Env,
// ExposedPorts, User, WorkingDir, Labels, Volumes, StopSignal). CMD, ENTRYPOINT and VOLUME take the
// JSON and the shell forms; ENV and LABEL take key=value pairs (quotes and backslashes as a shell
// reads them) or the legacy `ENV key value`; ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME and
// WORKDIR expand $VAR, ${VAR}, ${VAR:-word} and ${VAR:+word} from the Env set so far. Other
// instructions are refused.
Status apply_changes(nlohmann::json& config, const std::vector<std::string>& changes);

}  // namespace berth::image
