#pragma once

#include "base/error.hpp"
#include "image/descriptor.hpp"
#include "image/manifest.hpp"
#include "image/platform.hpp"

namespace berth::image {

// The index entry for `want`: same os and architecture, and the same variant (arm64 without one is
// v8), else an entry without a variant. Entries without a platform, or for unknown/unknown
// (Docker's attestation manifests), are skipped, unless an index has a single entry without a
// platform.
Result<Descriptor> select_manifest(const Index& index, const Platform& want);

}  // namespace berth::image
