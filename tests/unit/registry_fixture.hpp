#pragma once

// A real /usr/bin/docker-registry on 127.0.0.1, test images written as OCI layouts, and the
// commands (skopeo, openssl, htpasswd) that tests run against them.

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "image/digest.hpp"
#include "image/http_client.hpp"
#include "image/progress.hpp"

namespace registry_test {

namespace fs = berth::fs;
using berth::image::Digest;
using berth::image::sha256_of;

inline bool executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/berth-registry-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

struct CommandResult {
  int status = -1;     // the exit code, or -1
  std::string output;  // stdout and stderr together
};

// Runs argv (no shell), stdin from /dev/null.
inline CommandResult run(const std::vector<std::string>& argv) {
  CommandResult result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return result;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) result.output.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(s);
  return port;
}

struct RegistryOptions {
  std::string tls_cert;  // with tls_key: serve https
  std::string tls_key;
  std::string htpasswd;  // basic auth against this file
};

// docker-registry serving DIR/storage; killed (and waited for) by stop() or the destructor.
class RegistryServer {
 public:
  static constexpr const char* kBinary = "/usr/bin/docker-registry";

  ~RegistryServer() { stop(); }

  // "" when it answers GET /v2/, else what went wrong (with its log).
  std::string start(const std::string& dir, const RegistryOptions& options = {}) {
    dir_ = dir;
    https_ = !options.tls_cert.empty();
    std::string last;
    for (int attempt = 0; attempt < 3; ++attempt) {  // the free port may be taken meanwhile
      port_ = free_port();
      write_config(options);
      last = launch();
      if (last.empty()) return last;
    }
    return last;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return (https_ ? "https://" : "http://") + host(); }
  std::string storage() const { return dir_ + "/storage"; }
  // Where the registry keeps a blob's bytes (its filesystem driver's layout).
  std::string blob_data(const Digest& d) const {
    return storage() + "/docker/registry/v2/blobs/sha256/" + d.hex.substr(0, 2) + "/" + d.hex +
           "/data";
  }

 private:
  void write_config(const RegistryOptions& o) {
    std::string yml = "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n";
    yml += "storage:\n  filesystem:\n    rootdirectory: " + storage() +
           "\n  delete:\n    enabled: true\n";
    yml += "  maintenance:\n    uploadpurging:\n      enabled: false\n";
    yml += "http:\n  addr: " + host() + "\n";
    if (!o.tls_cert.empty())
      yml += "  tls:\n    certificate: " + o.tls_cert + "\n    key: " + o.tls_key + "\n";
    if (!o.htpasswd.empty())
      yml += "auth:\n  htpasswd:\n    realm: berth-test\n    path: " + o.htpasswd + "\n";
    (void)fs::write_file_atomic(dir_ + "/config.yml", yml, 0644);
  }

  std::string log() const {
    auto text = fs::read_file(dir_ + "/registry.log");
    return text ? *text : "";
  }

  std::string launch() {
    const std::string config = dir_ + "/config.yml", log_path = dir_ + "/registry.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      int null = ::open("/dev/null", O_RDONLY);
      ::dup2(null, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::execl(kBinary, kBinary, "serve", config.c_str(), nullptr);
      ::_exit(127);
    }
    berth::image::HttpClient client(berth::image::TlsSettings{.verify = false});
    // A bound on the wait, so a broken registry fails the test instead of hanging it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return "docker-registry exited before answering: " + log();
      }
      auto r = client.send({.method = "GET", .url = url() + "/v2/"});
      if (r && (r->status == 200 || r->status == 401)) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    return "docker-registry did not answer GET /v2/ within 60 s: " + log();
  }

  std::string dir_;
  bool https_ = false;
  int port_ = 0;
  pid_t pid_ = -1;
};

// --- test images -------------------------------------------------------------------------------

// A gzip-compressed tar of the given files (name -> content), and the digest of the plain tar.
struct Layer {
  std::string gz;
  Digest digest;
  Digest diff_id;
};

inline Layer make_layer(const std::map<std::string, std::string>& files, bool gzip = true) {
  auto write_tar = [&](bool compress) {
    std::string out;
    archive* a = archive_write_new();
    if (compress) archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open(
        a, &out, nullptr,
        [](archive*, void* user, const void* buf, size_t n) -> la_ssize_t {
          static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
          return static_cast<la_ssize_t>(n);
        },
        nullptr);
    for (const auto& [name, content] : files) {
      archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, name.c_str());
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
      archive_entry_set_mtime(e, 1700000000, 0);
      archive_write_header(a, e);
      archive_write_data(a, content.data(), content.size());
      archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return out;
  };
  Layer l;
  std::string tar = write_tar(false);
  l.diff_id = sha256_of(tar);
  l.gz = gzip ? write_tar(true) : tar;
  l.digest = sha256_of(l.gz);
  return l;
}

// Bytes that gzip cannot shrink much, so a layer is big enough for several reads.
inline std::string noise(size_t size, uint32_t seed) {
  std::string s(size, '\0');
  uint32_t x = seed;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

struct Blob {
  std::string media_type;
  std::string bytes;
  Digest digest;
  nlohmann::json descriptor() const {
    return {{"mediaType", media_type}, {"digest", digest.str()}, {"size", bytes.size()}};
  }
};

inline Blob blob(std::string media_type, std::string bytes) {
  Digest d = sha256_of(bytes);
  return Blob{std::move(media_type), std::move(bytes), d};
}

struct Image {
  Blob config;
  std::vector<Blob> layers;
  Blob manifest;
};

inline Image make_image(const std::vector<Layer>& layers, const std::string& arch) {
  Image img;
  nlohmann::json diff_ids = nlohmann::json::array();
  for (const auto& l : layers) diff_ids.push_back(l.diff_id.str());
  nlohmann::json config = {{"architecture", arch},
                           {"os", "linux"},
                           {"config", {{"Env", {"PATH=/bin"}}}},
                           {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  img.config = blob("application/vnd.oci.image.config.v1+json", config.dump());
  nlohmann::json layer_descriptors = nlohmann::json::array();
  for (const auto& l : layers) {
    img.layers.push_back(blob("application/vnd.oci.image.layer.v1.tar+gzip", l.gz));
    layer_descriptors.push_back(img.layers.back().descriptor());
  }
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                             {"config", img.config.descriptor()},
                             {"layers", layer_descriptors}};
  img.manifest = blob("application/vnd.oci.image.manifest.v1+json", manifest.dump());
  return img;
}

inline Blob make_index(const std::vector<std::pair<const Image*, std::string>>& images) {
  nlohmann::json manifests = nlohmann::json::array();
  for (const auto& [img, arch] : images) {
    auto d = img->manifest.descriptor();
    d["platform"] = {{"os", "linux"}, {"architecture", arch}};
    manifests.push_back(d);
  }
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", "application/vnd.oci.image.index.v1+json"},
                          {"manifests", manifests}};
  return blob("application/vnd.oci.image.index.v1+json", index.dump());
}

// An OCI image layout in dir with `top` tagged `tag` and every blob given.
inline void write_layout(const std::string& dir, const std::string& tag, const Blob& top,
                         const std::vector<const Blob*>& blobs) {
  (void)fs::mkdir_p(dir + "/blobs/sha256", 0755);
  (void)fs::write_file_atomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})", 0644);
  auto d = top.descriptor();
  d["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
  nlohmann::json index = {{"schemaVersion", 2}, {"manifests", {d}}};
  (void)fs::write_file_atomic(dir + "/index.json", index.dump(), 0644);
  for (const Blob* b : blobs)
    (void)fs::write_file_atomic(dir + "/blobs/sha256/" + b->digest.hex, b->bytes, 0644);
  (void)fs::write_file_atomic(dir + "/blobs/sha256/" + top.digest.hex, top.bytes, 0644);
}

inline std::vector<const Blob*> blobs_of(const Image& img) {
  std::vector<const Blob*> out = {&img.config, &img.manifest};
  for (const auto& l : img.layers) out.push_back(&l);
  return out;
}

// Records what pull and push report, from any thread.
class RecordingProgress : public berth::image::Progress {
 public:
  void status(const std::string& id, const std::string& text) override {
    std::lock_guard lock(mutex_);
    lines_.push_back(id.empty() ? text : id + ": " + text);
  }
  void bytes(const std::string& id, const std::string& action, uint64_t done,
             uint64_t total) override {
    std::lock_guard lock(mutex_);
    last_bytes_[id + " " + action] = {done, total};
  }
  bool has(const std::string& line) const {
    std::lock_guard lock(mutex_);
    for (const auto& l : lines_)
      if (l == line) return true;
    return false;
  }
  std::string all() const {
    std::lock_guard lock(mutex_);
    std::string s;
    for (const auto& l : lines_) s += l + "\n";
    return s;
  }
  std::pair<uint64_t, uint64_t> last_bytes(const std::string& id, const std::string& action) const {
    std::lock_guard lock(mutex_);
    auto it = last_bytes_.find(id + " " + action);
    return it == last_bytes_.end() ? std::pair<uint64_t, uint64_t>{0, 0} : it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  std::map<std::string, std::pair<uint64_t, uint64_t>> last_bytes_;
};

}  // namespace registry_test
