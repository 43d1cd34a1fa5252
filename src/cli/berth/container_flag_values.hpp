#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/container_config.hpp"

// The value syntaxes of docker run's flags, parsed as the docker CLI parses them. Errors are the
// reason alone; the caller names the flag and the value.
namespace berth::cli {

// "512m", "1.5g", "100", "2GiB": binary units (k, m, g, t, p), an optional "i" and "b".
Result<int64_t> parse_ram_size(const std::string& text);
// "1.5", "0.25", "3/2": CPUs as nanoCPUs.
Result<int64_t> parse_nano_cpus(const std::string& text);
Result<int64_t> parse_int64(const std::string& text);
// "nofile=1024[:2048]"; -1 is unlimited.
Result<engine::Ulimit> parse_ulimit(const std::string& text);
// "/dev/sda[:/dev/xvda][:rwm]".
Result<engine::DeviceMapping> parse_device(const std::string& text);
// "no", "always", "unless-stopped", "on-failure[:N]".
Result<engine::RestartPolicy> parse_restart_policy(const std::string& text);
// --mount's comma-separated key=value list (type=bind,source=/x,target=/y,readonly).
Result<engine::MountSpec> parse_mount_flag(const std::string& text);
// A signal name ("SIGTERM", "term", "RTMIN+3") or number; the number.
Result<int> parse_signal(const std::string& text);
// An env file: KEY=VALUE lines, comments (#) and blank lines skipped; a bare KEY takes the value
// of the caller's environment, or is left out.
Result<std::vector<std::string>> read_env_file(const std::string& path);
// A label file: KEY=VALUE lines, no lookup of bare keys.
Result<std::vector<std::string>> read_label_file(const std::string& path);
// "80", "80/udp", "8000-8010/tcp": every port as "N/proto".
Result<std::vector<std::string>> parse_expose(const std::string& text);

}  // namespace berth::cli
