#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "image/blob_transfer.hpp"
#include "image/content_store.hpp"
#include "image/descriptor.hpp"
#include "image/http_client.hpp"
#include "image/registry_session.hpp"

namespace berth::image {

struct UploadResult {
  enum class Outcome { existed, mounted, pushed };
  Outcome outcome = Outcome::pushed;
  std::string mounted_from;  // the repository path, when mounted
};

// HEAD first (the registry has it: existed); then a cross-repository mount from each of
// mount_sources (repository paths of the same registry, whose pull scope the session should already
// have); else POST /blobs/uploads/ and one PUT ?digest= with the whole blob, following the Location
// the registry gives (relative or absolute).
Result<UploadResult> upload_blob(RegistrySession& session, HttpClient& client,
                                 const ContentStore& store, const Descriptor& blob,
                                 const std::vector<std::string>& mount_sources,
                                 const BlobTransferOptions& options);

}  // namespace berth::image
