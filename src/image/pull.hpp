#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "image/content_store.hpp"
#include "image/digest.hpp"
#include "image/manifest.hpp"
#include "image/platform.hpp"
#include "image/progress.hpp"
#include "image/reference.hpp"
#include "image/registry_config.hpp"

namespace berth::image {

struct PullResult {
  Reference reference;
  Digest manifest_digest;  // the platform's image manifest
  std::string manifest_media_type;
  std::optional<Digest> index_digest;  // when the reference named an index / manifest list
  Digest config_digest;
  bool downloaded_anything = false;  // false: "Image is up to date"
};

// Fetches the manifest (through the index for `platform`), config and layers into the store,
// verifying every digest while streaming; index and manifest are stored too. Blobs already in the
// store are not fetched ("Already exists"). Layers are fetched in parallel
// (max_concurrent_downloads), retried and resumed with Range requests. Schema1 refused with a clear
// message. A manifest larger than kMaxManifestSize refused. Nothing is registered as an image: the
// caller does that.
// The caller prints docker's "Digest:" line once the layers are unpacked.
// Called, from the download threads, as soon as each layer blob of the manifest is in the store
// (downloaded, or there already), so that the caller can unpack it while others still download.
using LayerBlobReady = std::function<void(const Manifest& manifest, const Descriptor& layer)>;

Result<PullResult> pull_image(const ContentStore& store, const Reference& ref,
                              const Platform& platform, const RegistryConfig& config,
                              Progress* progress, const LayerBlobReady& on_layer_blob = {});

}  // namespace berth::image
