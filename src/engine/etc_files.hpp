#pragma once

#include <string>

#include "base/error.hpp"
#include "engine/container_config.hpp"
#include "engine/container_paths.hpp"

namespace berth::engine {

// /etc/hostname, /etc/hosts and /etc/resolv.conf for the container, as Docker writes them: with
// --network host the host's hosts and resolv.conf; otherwise localhost entries, --add-host lines,
// and the host's resolver without its loopback nameservers (unreachable from the container's own
// network namespace), --dns, --dns-search and --dns-option replacing what they name.
Status write_etc_files(const ContainerPaths& paths, const ContainerConfig& config,
                       const HostConfig& host);

// The files' contents, apart for tests.
std::string hosts_content(const ContainerConfig& config, const HostConfig& host,
                          const std::string& host_hosts);
std::string resolv_conf_content(const HostConfig& host, const std::string& host_resolv_conf);

}  // namespace berth::engine
