#pragma once

#include <string>
#include <vector>

namespace berth::image {

struct RegistryConfig {
  // "host:port", "host" or a CIDR ("10.0.0.0/8"): plain HTTP (and TLS without verification)
  // allowed. Like Docker, 127.0.0.0/8, ::1 and localhost are always insecure.
  std::vector<std::string> insecure_registries;
  // Per-registry TLS material: DIR/HOST:PORT/ca.crt (any *.crt is a CA), client.cert + client.key.
  std::vector<std::string> certs_dirs = {"/etc/berth/certs.d", "/etc/docker/certs.d"};
  // ~/.docker/config.json format ({"auths": {"host:port": {"auth": base64(user:pass)}}}).
  // login writes auth_file; lookups read auth_file, then each of read_auth_files.
  std::string auth_file;
  std::vector<std::string> read_auth_files;
  int max_concurrent_downloads = 3;
  int max_concurrent_uploads = 5;
  int retries = 5;  // per blob; a retry resumes with a Range request when the ingest file has bytes
};

}  // namespace berth::image
