#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "image/content_store.hpp"
#include "image/digest.hpp"

namespace berth::image {

// Which repositories ("registry/path") a blob was pulled from or pushed to, so that a push to
// another repository of the same registry can mount it instead of sending it. One text file per
// blob, <store root>/blob-sources/<hex>, a name per line, newest first, at most 8. Only a hint: a
// missing or stale record costs an upload, nothing else.
std::vector<std::string> blob_sources(const ContentStore& store, const Digest& blob);
Status record_blob_source(const ContentStore& store, const Digest& blob,
                          const std::string& repository);

}  // namespace berth::image
