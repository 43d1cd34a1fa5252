#include "image/http_client.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

#include "base/fs.hpp"
#include "base/strings.hpp"

namespace berth::image {

namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) std::abort();
  });
}

// The system's CA bundle, read once: a custom CA blob replaces curl's bundle, so it carries both.
const std::string& system_ca_pem(CURL* curl) {
  static std::once_flag once;
  static std::string pem;
  std::call_once(once, [curl] {
    char* path = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_CAINFO, &path) == CURLE_OK && path) {
      if (auto text = fs::read_file(path)) pem = std::move(*text);
    }
  });
  return pem;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

struct Transfer {
  const HttpRequest& request;
  HttpResponse response;
  bool started = false;  // on_response was called for this response
  std::optional<Error> callback_error;
  uint64_t body_offset = 0;  // of the request body
};

bool is_2xx(long status) {
  return status >= 200 && status < 300;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or a 100 Continue): only the last one's headers count.
    t->response.headers.clear();
    auto space = line.find(' ');
    t->response.status =
        space == std::string_view::npos ? 0 : std::strtol(line.data() + space + 1, nullptr, 10);
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos)
    t->response.headers.emplace_back(to_lower(trim(line.substr(0, colon))),
                                     std::string(trim(line.substr(colon + 1))));
  return size * count;
}

bool is_redirect(const Transfer& t) {
  long s = t.response.status;
  return t.request.follow_redirects && s >= 300 && s < 400 && t.response.header("location");
}

Status begin_response(Transfer& t) {
  if (t.started) return {};
  t.started = true;
  if (t.request.on_response) return t.request.on_response(t.response);
  return {};
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view chunk(data, size * count);
  if (is_redirect(*t)) return chunk.size();
  if (!is_2xx(t->response.status)) {
    size_t room = kMaxErrorBody - std::min(kMaxErrorBody, t->response.body.size());
    t->response.body.append(chunk.substr(0, room));
    return chunk.size();
  }
  if (auto s = begin_response(*t); !s) {
    t->callback_error = s.error();
    return CURL_WRITEFUNC_ERROR;
  }
  if (t->request.on_body) {
    if (auto s = t->request.on_body(chunk); !s) {
      t->callback_error = s.error();
      return CURL_WRITEFUNC_ERROR;
    }
    return chunk.size();
  }
  if (t->response.body.size() + chunk.size() > t->request.max_body) {
    t->callback_error = plain_error("response body is larger than " +
                                    std::to_string(t->request.max_body) + " bytes");
    return CURL_WRITEFUNC_ERROR;
  }
  t->response.body.append(chunk);
  return chunk.size();
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const auto& r = t->request;
  size_t want = size * count;
  if (r.body_fd < 0) {
    size_t n = std::min(want, r.body.size() - std::min<size_t>(r.body.size(), t->body_offset));
    std::copy_n(r.body.data() + t->body_offset, n, buffer);
    t->body_offset += n;
    return n;
  }
  uint64_t left = r.body_size - std::min(r.body_size, t->body_offset);
  want = static_cast<size_t>(std::min<uint64_t>(want, left));
  if (want == 0) return 0;
  ssize_t n;
  do {
    n = ::pread(r.body_fd, buffer, want, static_cast<off_t>(t->body_offset));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    t->callback_error = sys_error("read request body");
    return CURL_READFUNC_ABORT;
  }
  if (n == 0) {
    t->callback_error =
        plain_error("read request body: file ended at " + std::to_string(t->body_offset) + " of " +
                    std::to_string(r.body_size) + " bytes");
    return CURL_READFUNC_ABORT;
  }
  t->body_offset += static_cast<uint64_t>(n);
  return static_cast<size_t>(n);
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  t->body_offset = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t uploaded) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request.cancel && t->request.cancel->load()) return 1;
  if (t->request.on_upload && uploaded > 0)
    t->request.on_upload(static_cast<uint64_t>(uploaded), t->request.body_size);
  return 0;
}

bool has_body(const HttpRequest& r) {
  return r.method == "PUT" || r.method == "POST" || r.method == "PATCH";
}

bool has_header(const std::vector<std::string>& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const std::string& h) {
    return h.size() > name.size() && h[name.size()] == ':' &&
           to_lower(h.substr(0, name.size())) == name;
  });
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return std::nullopt;
}

std::vector<std::string> HttpResponse::headers_named(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers)
    if (k == name) out.push_back(v);
  return out;
}

HttpClient::HttpClient(TlsSettings tls) : tls_(std::move(tls)) {
  global_init();
  curl_ = curl_easy_init();
  if (!curl_) std::abort();
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : tls_(std::move(other.tls_)), curl_(std::exchange(other.curl_, nullptr)) {}

HttpClient::~HttpClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  const std::string what = request.method + " " + request.url;
  curl_easy_reset(curl);
  Transfer t{request, {}, false, std::nullopt, 0};
  char errbuf[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  // Never from https down to http.
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR,
                   request.url.starts_with("https:") ? "https" : "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled transfer (under 1 byte/s for a minute) fails instead of hanging.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "berth");
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);

  if (!tls_.verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!tls_.extra_ca_pem.empty()) {
    std::string bundle = system_ca_pem(curl) + "\n" + tls_.extra_ca_pem;
    curl_blob blob{bundle.data(), bundle.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!tls_.client_cert.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, tls_.client_cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, tls_.client_key.c_str());
  }

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (has_body(request)) {
    curl_off_t size =
        static_cast<curl_off_t>(request.body_fd >= 0 ? request.body_size : request.body.size());
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &t);
    if (request.method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, size);
    } else {
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, size);
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  curl_slist* headers = nullptr;
  for (const auto& h : request.headers) headers = curl_slist_append(headers, h.c_str());
  if (has_body(request)) {
    headers = curl_slist_append(headers, "Expect:");
    if (!has_header(request.headers, "content-type"))
      headers = curl_slist_append(headers, "Content-Type:");
  }
  std::string range;
  if (request.range_from && *request.range_from > 0) {
    range = std::to_string(*request.range_from) + "-";
    curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  char* effective = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
    t.response.url = effective;
  if (t.callback_error) return fail(t.callback_error->wrap(what));
  if (rc == CURLE_ABORTED_BY_CALLBACK && request.cancel && request.cancel->load())
    return fail_msg(what + ": cancelled");
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? std::string(trim(errbuf)) : curl_easy_strerror(rc);
    return fail_msg(what + ": " + detail);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.response.status);
  if (is_2xx(t.response.status))
    if (auto s = begin_response(t); !s) return fail(s.error().wrap(what));
  return std::move(t.response);
}

std::string url_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string url_origin(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  auto path = url.find_first_of("/?#", scheme_end + 3);
  return std::string(url.substr(0, path));
}

std::string resolve_url(const std::string& base, const std::string& location) {
  if (location.starts_with("http://") || location.starts_with("https://")) return location;
  if (location.starts_with("//")) return base.substr(0, base.find(':') + 1) + location;
  if (location.starts_with("/")) return url_origin(base) + location;
  std::string dir = base.substr(0, base.find_first_of("?#"));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return dir + location;
}

}  // namespace berth::image
