#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "image/digest.hpp"

namespace berth::image {

// The `config` object of an image config: how to run a container from the image.
struct ContainerConfig {
  std::string user;
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::string> volumes;
  std::string stop_signal;
  nlohmann::json healthcheck;  // as in the image (Docker's shape), null when absent
};

struct RootFs {
  std::string type;  // always "layers"
  std::vector<Digest> diff_ids;
};

struct HistoryEntry {
  std::string created;
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

// An OCI image config or a Docker container image config
// (application/vnd.docker.container.image.v1+json).
struct ImageConfig {
  std::string created;
  std::string author;
  std::string architecture;
  std::string os;
  std::string variant;
  std::string os_version;
  ContainerConfig config;
  RootFs rootfs;
  std::vector<HistoryEntry> history;
};

// Errors name the field: `config.rootfs.diff_ids[2]: invalid sha256 digest "..."`.
Result<ImageConfig> parse_image_config(std::string_view bytes);

}  // namespace berth::image
