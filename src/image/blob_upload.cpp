#include "image/blob_upload.hpp"

#include "image/registry_error.hpp"

namespace berth::image {

namespace {

constexpr size_t kMaxMountTries = 3;

std::string with_query(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

// The upload URL a 202 names in Location.
Result<std::string> upload_location(const HttpResponse& response, const std::string& request_url) {
  auto location = response.header("location");
  if (!location || location->empty())
    return fail_msg("POST " + request_url + ": " + std::to_string(response.status) +
                    " without a Location");
  return resolve_url(response.url.empty() ? request_url : response.url, *location);
}

Result<bool> registry_has(RegistrySession& session, HttpClient& client, const Descriptor& blob) {
  const std::string url = session.repository_url() + "/blobs/" + blob.digest.str();
  auto response = BERTH_TRY(session.send(client, {.method = "HEAD", .url = url}));
  if (response.status == 200) return true;
  if (response.status == 404) return false;
  return fail(response_error("HEAD", url, response));
}

// The registry's answer to the PUT, or a failure to send it.
Result<HttpResponse> put_blob(RegistrySession& session, HttpClient& client,
                              const ContentStore& store, const Descriptor& blob,
                              const std::string& url, const BlobTransferOptions& options) {
  auto fd = BERTH_TRY(store.open_blob(blob.digest));
  const uint64_t size = static_cast<uint64_t>(blob.size);
  ByteReporter reporter(options, "Pushing", size);
  HttpRequest request{.method = "PUT",
                      .url = url,
                      .headers = {"Content-Type: application/octet-stream"},
                      .body_fd = fd.get(),
                      .body_size = size};
  request.on_upload = [&reporter](uint64_t sent, uint64_t) { reporter.report(sent); };
  request.cancel = options.cancel;
  auto response = BERTH_TRY(session.send(client, request));
  if (response.status == 201 || response.status == 204) reporter.report(size);
  return response;
}

}  // namespace

Result<UploadResult> upload_blob(RegistrySession& session, HttpClient& client,
                                 const ContentStore& store, const Descriptor& blob,
                                 const std::vector<std::string>& mount_sources,
                                 const BlobTransferOptions& options) {
  const std::string what = "push blob " + blob.digest.str() + " to " + session.name();
  if (blob.size < 0) return fail_msg(what + ": negative size " + std::to_string(blob.size));
  auto stored_size = store.size(blob.digest);
  if (!stored_size) return fail(stored_size.error().wrap(what + ": not in the store"));
  if (*stored_size != static_cast<uint64_t>(blob.size))
    return fail_msg(what + ": the store has " + std::to_string(*stored_size) +
                    " bytes, the manifest says " + std::to_string(blob.size));

  const std::string uploads = session.repository_url() + "/blobs/uploads/";
  std::optional<Error> last_error;
  for (int attempt = 0; attempt <= options.retries; ++attempt) {
    if (attempt > 0) wait_before_retry(attempt, options.cancel);
    if (options.cancel && options.cancel->load()) return fail_msg(what + ": cancelled");

    auto has = registry_has(session, client, blob);
    if (!has) {
      last_error = has.error();
      continue;
    }
    if (*has) return UploadResult{UploadResult::Outcome::existed, {}};

    std::string location;
    size_t tried = 0;
    for (const auto& source : mount_sources) {
      if (source == session.path() || tried++ == kMaxMountTries) continue;
      const std::string url =
          uploads + "?mount=" + url_escape(blob.digest.str()) + "&from=" + url_escape(source);
      auto response = session.send(client, {.method = "POST", .url = url});
      if (!response) continue;
      if (response->status == 201) return UploadResult{UploadResult::Outcome::mounted, source};
      // 202: the registry could not mount and opened an upload instead.
      if (response->status == 202) {
        if (auto l = upload_location(*response, url)) {
          location = std::move(*l);
          break;
        }
      }
    }
    if (location.empty()) {
      auto response = session.send(client, {.method = "POST", .url = uploads});
      if (!response) {
        last_error = response.error();
        continue;
      }
      if (response->status != 202) {
        last_error = response_error("POST", uploads, *response);
        if (retryable_status(response->status)) continue;
        return fail(last_error->wrap(what));
      }
      location = BERTH_TRY(upload_location(*response, uploads));
    }
    const std::string url = with_query(location, "digest=" + url_escape(blob.digest.str()));
    auto put = put_blob(session, client, store, blob, url, options);
    if (!put) {
      last_error = put.error();
      continue;
    }
    if (put->status == 201 || put->status == 204)
      return UploadResult{UploadResult::Outcome::pushed, {}};
    last_error = response_error("PUT", url, *put);
    if (!retryable_status(put->status)) return fail(last_error->wrap(what));
  }
  return fail(last_error->wrap(what + ": gave up after " + std::to_string(options.retries + 1) +
                               " attempts"));
}

}  // namespace berth::image
