#pragma once

#include "base/error.hpp"
#include "image/content_store.hpp"
#include "image/digest.hpp"
#include "image/progress.hpp"
#include "image/reference.hpp"
#include "image/registry_config.hpp"

namespace berth::image {

// Pushes the manifest (or index) manifest_digest and every blob it references from the store to
// dest (dest.tag, or dest.digest). Blobs the registry has (HEAD) are skipped; blobs of another
// repository of the same registry are cross-mounted (POST ?mount=&from=) when the store knows where
// they came from (you may keep a small sidecar record of "digest -> source repository" in the store
// root; say where). Returns the digest of the manifest as pushed (the same bytes, so the same
// digest).
Result<Digest> push_image(const ContentStore& store, const Digest& manifest_digest,
                          const Reference& dest, const RegistryConfig& config, Progress* progress);

}  // namespace berth::image
