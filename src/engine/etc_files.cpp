#include "engine/etc_files.hpp"

#include <sstream>

#include "base/fs.hpp"
#include "base/strings.hpp"

namespace berth::engine {
namespace {

bool host_network(const HostConfig& host) {
  return host.network_mode == "host";
}

std::string read_or_empty(const std::string& path) {
  auto text = fs::read_file(path);
  return text ? *text : std::string();
}

bool is_loopback_nameserver(const std::string& address) {
  return address.starts_with("127.") || address == "::1";
}

}  // namespace

std::string hosts_content(const ContainerConfig& config, const HostConfig& host,
                          const std::string& host_hosts) {
  std::string out;
  if (host_network(host)) {
    out = host_hosts;
    if (!out.empty() && out.back() != '\n') out += '\n';
  } else {
    out =
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n";
  }
  for (const auto& entry : host.extra_hosts) {
    // --add-host name:address; the address may be IPv6 and so hold colons itself.
    auto colon = entry.find(':');
    if (colon == std::string::npos) continue;
    out += entry.substr(colon + 1) + "\t" + entry.substr(0, colon) + "\n";
  }
  if (!host_network(host) && !config.hostname.empty()) {
    std::string name = config.hostname;
    if (!config.domainname.empty()) name += "." + config.domainname + " " + config.hostname;
    out += "127.0.0.1\t" + name + "\n";
  }
  return out;
}

std::string resolv_conf_content(const HostConfig& host, const std::string& host_resolv_conf) {
  std::vector<std::string> nameservers, search, options, other;
  std::istringstream in(host_resolv_conf);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "nameserver") {
      std::string address;
      words >> address;
      if (host_network(host) || !is_loopback_nameserver(address)) nameservers.push_back(address);
    } else if (key == "search" || key == "domain") {
      search.clear();
      for (std::string w; words >> w;) search.push_back(w);
    } else if (key == "options") {
      for (std::string w; words >> w;) options.push_back(w);
    }
  }
  if (!host.dns.empty()) nameservers = host.dns;
  if (!host.dns_search.empty()) search = host.dns_search;
  if (!host.dns_options.empty()) options = host.dns_options;
  // Docker's fallback when the host only had loopback resolvers.
  if (nameservers.empty() && !host_network(host)) nameservers = {"8.8.8.8", "8.8.4.4"};
  std::string out;
  if (!search.empty() && !(search.size() == 1 && search[0] == "."))
    out += "search " + join(search, " ") + "\n";
  for (const auto& ns : nameservers) out += "nameserver " + ns + "\n";
  if (!options.empty()) out += "options " + join(options, " ") + "\n";
  return out;
}

Status write_etc_files(const ContainerPaths& paths, const ContainerConfig& config,
                       const HostConfig& host) {
  BERTH_CHECK(fs::mkdir_p(paths.data_dir, 0700));
  // Readable by all: the container's users read them through the bind mounts, whatever their uid.
  BERTH_CHECK(fs::write_file_atomic(paths.hostname_path, config.hostname + "\n", 0644));
  BERTH_CHECK(fs::write_file_atomic(
      paths.hosts_path, hosts_content(config, host, read_or_empty("/etc/hosts")), 0644));
  BERTH_CHECK(fs::write_file_atomic(
      paths.resolv_conf_path, resolv_conf_content(host, read_or_empty("/etc/resolv.conf")), 0644));
  return {};
}

}  // namespace berth::engine
