#include "engine/daemon_config.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "base/fs.hpp"
#include "base/json_reader.hpp"
#include "base/json_text.hpp"

namespace berth::engine {
namespace {

// dockerd's daemon.json keys (its config package), which berth accepts without using them.
constexpr std::array<std::string_view, 60> kDockerOnlyKeys = {"allow-nondistributable-artifacts",
                                                              "api-cors-header",
                                                              "authorization-plugins",
                                                              "bip",
                                                              "bridge",
                                                              "builder",
                                                              "cgroup-parent",
                                                              "cluster-advertise",
                                                              "cluster-store",
                                                              "cluster-store-opts",
                                                              "containerd",
                                                              "containerd-namespace",
                                                              "containerd-plugins-namespace",
                                                              "cpu-rt-period",
                                                              "cpu-rt-runtime",
                                                              "data-root-migrate",
                                                              "default-address-pools",
                                                              "default-cgroupns-mode",
                                                              "default-gateway",
                                                              "default-gateway-v6",
                                                              "default-ipc-mode",
                                                              "default-runtime",
                                                              "default-shm-size",
                                                              "default-ulimits",
                                                              "dns",
                                                              "dns-opts",
                                                              "dns-search",
                                                              "exec-opts",
                                                              "experimental",
                                                              "features",
                                                              "fixed-cidr",
                                                              "fixed-cidr-v6",
                                                              "group",
                                                              "icc",
                                                              "init",
                                                              "init-path",
                                                              "ip",
                                                              "ip-forward",
                                                              "ip-masq",
                                                              "ip6tables",
                                                              "iptables",
                                                              "ipv6",
                                                              "labels",
                                                              "live-restore",
                                                              "log-driver",
                                                              "log-format",
                                                              "log-level",
                                                              "log-opts",
                                                              "mtu",
                                                              "no-new-privileges",
                                                              "node-generic-resources",
                                                              "oom-score-adjust",
                                                              "pidfile",
                                                              "raw-logs",
                                                              "registry-mirrors",
                                                              "runtimes",
                                                              "seccomp-profile",
                                                              "selinux-enabled",
                                                              "shutdown-timeout",
                                                              "storage-driver"};
constexpr std::array<std::string_view, 4> kMoreDockerOnlyKeys = {
    "storage-opts", "swarm-default-advertise-addr", "userland-proxy", "userland-proxy-path"};

bool docker_only_key(std::string_view key) {
  return std::find(kDockerOnlyKeys.begin(), kDockerOnlyKeys.end(), key) != kDockerOnlyKeys.end() ||
         std::find(kMoreDockerOnlyKeys.begin(), kMoreDockerOnlyKeys.end(), key) !=
             kMoreDockerOnlyKeys.end();
}

Result<int> positive_int(const JsonReader& r, const std::string& key, int fallback) {
  auto v = BERTH_TRY(r.optional_int(key));
  if (!v) return fallback;
  if (*v < 1 || *v > 1000) return fail(r.error(key, "must be between 1 and 1000"));
  return static_cast<int>(*v);
}

Result<DaemonConfig> read_config(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  DaemonConfig c;
  for (const auto& [key, value] : r.json().items()) {
    static constexpr std::array<std::string_view, 14> kUsed = {"data-root",
                                                               "exec-root",
                                                               "insecure-registries",
                                                               "userns-remap",
                                                               "max-concurrent-downloads",
                                                               "max-concurrent-uploads",
                                                               "max-download-attempts",
                                                               "debug",
                                                               "hosts",
                                                               "tls",
                                                               "tlsverify",
                                                               "tlscacert",
                                                               "tlscert",
                                                               "tlskey"};
    if (std::find(kUsed.begin(), kUsed.end(), key) == kUsed.end() && !docker_only_key(key))
      return fail(r.error(key, "unknown configuration key"));
  }
  if (r.has("data-root")) c.data_root = BERTH_TRY(r.required_string("data-root"));
  if (r.has("exec-root")) c.exec_root = BERTH_TRY(r.required_string("exec-root"));
  for (const auto& [key, dest] :
       {std::pair<const char*, std::optional<std::string>*>{"data-root", &c.data_root},
        {"exec-root", &c.exec_root}}) {
    if (*dest && (dest->value().empty() || dest->value()[0] != '/'))
      return fail(r.error(key, "must be an absolute path"));
  }
  c.insecure_registries = BERTH_TRY(r.strings("insecure-registries"));
  c.userns_remap = BERTH_TRY(r.string("userns-remap"));
  c.max_concurrent_downloads = BERTH_TRY(positive_int(r, "max-concurrent-downloads", 3));
  c.max_concurrent_uploads = BERTH_TRY(positive_int(r, "max-concurrent-uploads", 5));
  c.max_download_attempts = BERTH_TRY(positive_int(r, "max-download-attempts", 5));
  c.debug = BERTH_TRY(r.boolean("debug"));
  c.hosts = BERTH_TRY(r.strings("hosts"));
  c.tls = BERTH_TRY(r.boolean("tls"));
  c.tlsverify = BERTH_TRY(r.boolean("tlsverify"));
  c.tlscacert = BERTH_TRY(r.string("tlscacert"));
  c.tlscert = BERTH_TRY(r.string("tlscert"));
  c.tlskey = BERTH_TRY(r.string("tlskey"));
  return c;
}

}  // namespace

Result<DaemonConfig> parse_daemon_config(const std::string& text, const std::string& shown_path) {
  auto json = parse_json_text(text, "daemon config " + quote(shown_path));
  if (!json) return fail(json.error());
  JsonReader r(*json, "");
  auto config = read_config(r);
  if (!config) return fail(config.error().wrap("daemon config " + quote(shown_path)));
  return config;
}

Result<DaemonConfig> load_daemon_config(const std::string& path) {
  if (!fs::exists(path)) return DaemonConfig{};
  auto text = fs::read_file(path);
  if (!text) return fail(text.error().wrap("daemon config"));
  return parse_daemon_config(*text, path);
}

}  // namespace berth::engine
