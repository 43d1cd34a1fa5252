#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace berth::image {

// TLS material for one registry.
struct TlsSettings {
  bool verify = true;          // false: any certificate and host name (insecure registries)
  std::string extra_ca_pem{};  // CAs trusted besides the system's
  std::string client_cert{};   // PEM file, with client_key
  std::string client_key{};
};

struct HttpResponse {
  long status = 0;
  // The final response's headers (after redirects), names in lower case, in arrival order.
  std::vector<std::pair<std::string, std::string>> headers;
  // The body when the request had no on_body, or when the status was not 2xx (then cut at 64 KiB).
  std::string body;
  std::string url;  // where the response came from, after redirects

  std::optional<std::string> header(std::string_view name) const;
  std::vector<std::string> headers_named(std::string_view name) const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url{};
  std::vector<std::string> headers{};    // "Name: value"
  std::optional<uint64_t> range_from{};  // "Range: bytes=N-"

  // The request body, for PUT, POST and PATCH: bytes in memory, or body_size bytes of body_fd.
  std::string body{};
  int body_fd = -1;
  uint64_t body_size = 0;
  std::function<void(uint64_t sent, uint64_t total)> on_upload{};

  // Called once a 2xx response begins, before its first body byte; an error aborts the transfer.
  std::function<Status(const HttpResponse& head)> on_response{};
  // Receives a 2xx body as it arrives; an error aborts the transfer and is returned by send().
  std::function<Status(std::string_view chunk)> on_body{};
  size_t max_body = 1 << 20;  // without on_body: a longer 2xx body is an error

  bool follow_redirects = true;
  const std::atomic<bool>* cancel = nullptr;  // set: the transfer stops with an error
};

// One curl easy handle (and its connection cache), for one thread at a time.
class HttpClient {
 public:
  explicit HttpClient(TlsSettings tls);
  ~HttpClient();
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&&) = delete;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const TlsSettings& tls() const { return tls_; }

  // Any HTTP status is a response; an error is a failure to talk HTTP at all (or a callback's),
  // naming the method and the URL.
  Result<HttpResponse> send(const HttpRequest& request);

 private:
  TlsSettings tls_;
  void* curl_;
};

// "%"-escapes everything but unreserved characters, for a query parameter.
std::string url_escape(std::string_view text);
// A Location header made absolute against the URL it came with.
std::string resolve_url(const std::string& base, const std::string& location);
// "scheme://host[:port]" of a URL.
std::string url_origin(std::string_view url);

}  // namespace berth::image
