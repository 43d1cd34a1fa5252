#include "image/blob_sources.hpp"

#include <algorithm>

#include "base/fs.hpp"
#include "base/strings.hpp"

namespace berth::image {

namespace {

constexpr size_t kMaxSources = 8;

std::string record_path(const ContentStore& store, const Digest& blob) {
  return fs::join(store.root(), "blob-sources/" + blob.hex);
}

}  // namespace

std::vector<std::string> blob_sources(const ContentStore& store, const Digest& blob) {
  std::vector<std::string> out;
  auto text = fs::read_file(record_path(store, blob));
  if (!text) return out;
  for (auto& line : split(*text, '\n'))
    if (!line.empty() && out.size() < kMaxSources) out.push_back(std::move(line));
  return out;
}

Status record_blob_source(const ContentStore& store, const Digest& blob,
                          const std::string& repository) {
  auto sources = blob_sources(store, blob);
  if (!sources.empty() && sources.front() == repository) return {};
  sources.erase(std::remove(sources.begin(), sources.end(), repository), sources.end());
  sources.insert(sources.begin(), repository);
  if (sources.size() > kMaxSources) sources.resize(kMaxSources);
  std::string text;
  for (const auto& s : sources) text += s + "\n";
  BERTH_CHECK(fs::mkdir_p(fs::join(store.root(), "blob-sources"), 0700));
  return fs::write_file_atomic(record_path(store, blob), text, 0600);
}

}  // namespace berth::image
