#include "image/blob_download.hpp"

#include <cstdlib>

#include "image/registry_error.hpp"

namespace berth::image {

namespace {

// "bytes 100-999/1000" starts at 100.
bool range_starts_at(const std::string& content_range, uint64_t offset) {
  std::string_view v = content_range;
  if (!v.starts_with("bytes ")) return false;
  v.remove_prefix(6);
  auto dash = v.find('-');
  return dash != std::string_view::npos && v.substr(0, dash) == std::to_string(offset);
}

}  // namespace

static Result<bool> download(RegistrySession& session, HttpClient& client,
                             const ContentStore& store, const Descriptor& blob,
                             const BlobTransferOptions& options, bool again) {
  const std::string what = "blob " + blob.digest.str() + " of " + session.name();
  if (blob.size < 0) return fail_msg(what + ": negative size " + std::to_string(blob.size));
  const uint64_t size = static_cast<uint64_t>(blob.size);
  if (store.has(blob.digest)) return false;
  auto writer = store.writer(blob.digest, size);
  if (!writer) return fail(writer.error().wrap(what));
  if (writer->exists()) return false;
  const uint64_t kept = writer->offset();

  ByteReporter reporter(options, "Downloading", size);
  const std::string url = session.repository_url() + "/blobs/" + blob.digest.str();
  std::optional<Error> last_error;
  bool complete = false;
  for (int attempt = 0; attempt <= options.retries && !complete; ++attempt) {
    if (attempt > 0) wait_before_retry(attempt, options.cancel);
    if (options.cancel && options.cancel->load()) return fail_msg(what + ": cancelled");
    const uint64_t start = writer->offset();
    if (start == size) {
      complete = true;
      break;
    }
    std::optional<Error> fatal;  // the blob is wrong, not the connection: no retry
    HttpRequest request{.method = "GET", .url = url, .range_from = start};
    request.cancel = options.cancel;
    request.on_response = [&](const HttpResponse& head) -> Status {
      if (start > 0 && head.status == 206 &&
          !range_starts_at(head.header("content-range").value_or(""), start)) {
        BERTH_CHECK(writer->restart());
        return fail_msg("the registry sent a range that does not start at byte " +
                        std::to_string(start));
      }
      if (head.status != 206 && writer->offset() > 0) BERTH_CHECK(writer->restart());
      const uint64_t expected = size - writer->offset();
      if (auto length = head.header("content-length")) {
        char* end = nullptr;
        unsigned long long n = std::strtoull(length->c_str(), &end, 10);
        if (end != length->c_str() && n > expected) {
          fatal = plain_error("the registry sends " + std::to_string(n) +
                              " bytes where the manifest says " + std::to_string(size));
          return fail(*fatal);
        }
      }
      return {};
    };
    request.on_body = [&](std::string_view chunk) -> Status {
      if (auto s = writer->write(chunk); !s) {
        fatal = s.error();
        return s;
      }
      reporter.report(writer->offset());
      return {};
    };
    auto response = session.send(client, request);
    if (fatal) return fail(fatal->wrap(what));
    if (!response) {
      if (options.cancel && options.cancel->load()) return fail_msg(what + ": cancelled");
      last_error = response.error();
      continue;
    }
    if (response->status == 404)
      return fail_msg(what + ": the manifest names it, but the repository " + session.name() +
                      " does not have it (" + describe_status(*response) + ")");
    if (response->status == 416) {  // the kept bytes are no use
      if (auto s = writer->restart(); !s) return fail(s.error().wrap(what));
      last_error = response_error("GET", url, *response);
      continue;
    }
    if (retryable_status(response->status)) {
      last_error = response_error("GET", url, *response);
      continue;
    }
    if (response->status != 200 && response->status != 206)
      return fail(response_error("GET", url, *response).wrap(what));
    if (writer->offset() == size)
      complete = true;
    else
      last_error = plain_error("GET " + url + ": the response ended at byte " +
                               std::to_string(writer->offset()) + " of " + std::to_string(size));
  }
  if (!complete)
    return fail(last_error->wrap(what + ": gave up after " + std::to_string(options.retries + 1) +
                                 " attempts"));
  if (options.progress && !options.id.empty())
    options.progress->status(options.id, "Verifying Checksum");
  if (auto s = writer->commit(); !s) {
    // The bytes kept from an interrupted download may have come from a broken copy of the blob
    // (the commit dropped them): fetch it once more from the start before giving up.
    if (kept > 0 && !again) return download(session, client, store, blob, options, true);
    return fail(s.error().wrap(what));
  }
  if (options.progress && !options.id.empty())
    options.progress->status(options.id, "Download complete");
  return true;
}

Result<bool> download_blob(RegistrySession& session, HttpClient& client, const ContentStore& store,
                           const Descriptor& blob, const BlobTransferOptions& options) {
  return download(session, client, store, blob, options, false);
}

}  // namespace berth::image
