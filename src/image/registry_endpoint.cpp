#include "image/registry_endpoint.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "base/fs.hpp"

namespace berth::image {

namespace {

struct IpAddress {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> bytes{};
};

std::optional<IpAddress> parse_ip(const std::string& text) {
  IpAddress a;
  if (::inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (::inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

struct Cidr {
  IpAddress base;
  int bits = 0;
};

std::optional<Cidr> parse_cidr(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const std::string bits_text = text.substr(slash + 1);
  if (bits_text.empty() || bits_text.size() > 3 ||
      bits_text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  int bits = std::stoi(bits_text);
  if (bits > (ip->family == AF_INET ? 32 : 128)) return std::nullopt;
  return Cidr{*ip, bits};
}

bool cidr_contains(const Cidr& c, const IpAddress& a) {
  if (c.base.family != a.family) return false;
  int bits = c.bits;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((c.base.bytes[i] & mask) != (a.bytes[i] & mask)) return false;
  }
  return true;
}

// "host:port" -> "host"; "[::1]:5000" -> "::1".
std::string host_of(std::string_view domain) {
  if (domain.starts_with('[')) {
    auto close = domain.find(']');
    return std::string(
        domain.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  auto colon = domain.find(':');
  if (colon != std::string_view::npos && domain.find(':', colon + 1) == std::string_view::npos)
    return std::string(domain.substr(0, colon));
  return std::string(domain);
}

std::vector<IpAddress> addresses_of(const std::string& host) {
  if (auto ip = parse_ip(host)) return {*ip};
  std::vector<IpAddress> out;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &list) != 0) return out;
  for (auto* ai = list; ai; ai = ai->ai_next) {
    IpAddress a;
    a.family = ai->ai_family;
    if (ai->ai_family == AF_INET)
      std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, 4);
    else if (ai->ai_family == AF_INET6)
      std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, 16);
    else
      continue;
    out.push_back(a);
  }
  ::freeaddrinfo(list);
  return out;
}

std::vector<std::string> sorted_entries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool safe_dir_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

}  // namespace

bool is_insecure_registry(std::string_view domain, const RegistryConfig& config) {
  const std::string host = host_of(domain);
  if (host == "localhost") return true;
  std::vector<Cidr> cidrs = {*parse_cidr("127.0.0.0/8"), *parse_cidr("::1/128")};
  for (const auto& entry : config.insecure_registries) {
    if (entry == domain || entry == host) return true;
    if (auto c = parse_cidr(entry)) cidrs.push_back(*c);
  }
  if (domain == "docker.io") return false;
  for (const auto& a : addresses_of(host))
    for (const auto& c : cidrs)
      if (cidr_contains(c, a)) return true;
  return false;
}

Result<TlsSettings> registry_tls(std::string_view domain, const RegistryConfig& config,
                                 bool verify) {
  TlsSettings tls;
  tls.verify = verify;
  if (!safe_dir_name(domain)) return tls;
  for (const auto& certs_dir : config.certs_dirs) {
    const std::string dir = fs::join(certs_dir, std::string(domain));
    if (!fs::exists(dir)) continue;
    auto names = sorted_entries(dir);
    for (const auto& name : names) {
      const std::string path = fs::join(dir, name);
      if (name.ends_with(".crt")) {
        tls.extra_ca_pem += BERTH_TRY(fs::read_file(path)) + "\n";
      } else if (name.ends_with(".cert")) {
        std::string key = name.substr(0, name.size() - 5) + ".key";
        if (!std::binary_search(names.begin(), names.end(), key))
          return fail_msg("certificates for " + std::string(domain) + ": client certificate " +
                          quote(path) + " has no key " + quote(fs::join(dir, key)));
        if (tls.client_cert.empty()) {
          tls.client_cert = path;
          tls.client_key = fs::join(dir, key);
        }
      } else if (name.ends_with(".key")) {
        std::string cert = name.substr(0, name.size() - 4) + ".cert";
        if (!std::binary_search(names.begin(), names.end(), cert))
          return fail_msg("certificates for " + std::string(domain) + ": key " + quote(path) +
                          " has no client certificate " + quote(fs::join(dir, cert)));
      }
    }
    break;
  }
  return tls;
}

Result<std::vector<RegistryEndpoint>> registry_endpoints(std::string_view domain,
                                                         const RegistryConfig& config) {
  if (domain == "docker.io")
    return std::vector<RegistryEndpoint>{
        {"https://registry-1.docker.io", BERTH_TRY(registry_tls(domain, config, true))}};
  const bool insecure = is_insecure_registry(domain, config);
  std::vector<RegistryEndpoint> out;
  out.push_back(
      {"https://" + std::string(domain), BERTH_TRY(registry_tls(domain, config, !insecure))});
  if (insecure) out.push_back({"http://" + std::string(domain), TlsSettings{}});
  return out;
}

}  // namespace berth::image
