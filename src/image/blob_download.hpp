#pragma once

#include "base/error.hpp"
#include "image/blob_transfer.hpp"
#include "image/content_store.hpp"
#include "image/descriptor.hpp"
#include "image/http_client.hpp"
#include "image/registry_session.hpp"

namespace berth::image {

// Streams the blob into the store through a BlobWriter, which checks its size on every write and
// its digest on commit. Bytes left by an earlier attempt are kept and the rest asked for with a
// Range request; a registry that answers 200 instead of 206 starts the blob again. Returns whether
// anything was fetched (false: the store had it).
Result<bool> download_blob(RegistrySession& session, HttpClient& client, const ContentStore& store,
                           const Descriptor& blob, const BlobTransferOptions& options);

}  // namespace berth::image
