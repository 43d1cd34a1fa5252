#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace berth::engine {

// daemon.json with Docker's key names, so that a Docker user's file works unchanged. Keys Docker
// knows that berth does not use yet are accepted and ignored; a key Docker does not know is an
// error, as dockerd makes it.
struct DaemonConfig {
  std::optional<std::string> data_root;
  std::optional<std::string> exec_root;
  std::vector<std::string> insecure_registries;
  std::string userns_remap;
  int max_concurrent_downloads = 3;
  int max_concurrent_uploads = 5;
  int max_download_attempts = 5;
  bool debug = false;
  std::vector<std::string> hosts;
  bool tls = false;
  bool tlsverify = false;
  std::string tlscacert;
  std::string tlscert;
  std::string tlskey;
};

// A missing file gives the defaults; a malformed one an error naming the file and the field.
Result<DaemonConfig> load_daemon_config(const std::string& path);
Result<DaemonConfig> parse_daemon_config(const std::string& text, const std::string& shown_path);

}  // namespace berth::engine
