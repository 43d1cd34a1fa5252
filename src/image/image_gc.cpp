#include <cstdint>
#include <limits>

#include "base/fs.hpp"
#include "image/image_db.hpp"
#include "image/image_store.hpp"
#include "image/leftovers.hpp"
#include "image/mapped_layers.hpp"
#include "image/snapshot_layers.hpp"

namespace berth::image {

namespace {

constexpr std::string_view kTempPrefix = ".tmp-";

std::string shown_image(const ImageRecord& r) {
  std::string s = "image " + r.id.str();
  if (!r.repo_tags.empty())
    s += " (" + r.repo_tags.front() + ")";
  else if (!r.repo_digests.empty())
    s += " (" + r.repo_digests.front() + ")";
  return s;
}

}  // namespace

Result<GcReport> ImageStore::gc() {
  auto exclusive = BERTH_TRY(StoreLease::take(data_root_, StoreLease::Mode::exclusive));
  return gc_locked();
}

Result<std::optional<GcReport>> ImageStore::try_gc() {
  auto exclusive = BERTH_TRY(StoreLease::try_take(data_root_, StoreLease::Mode::exclusive));
  if (!exclusive) return std::optional<GcReport>();
  return std::optional<GcReport>(BERTH_TRY(gc_locked()));
}

Result<GcReport> ImageStore::gc_locked() {
  image_db::References refs;
  {
    std::lock_guard lock(*mu_);
    refs = BERTH_TRY(image_db::references(db_));
  }
  auto pinned = BERTH_TRY(snapshot_layers::all(data_root_));
  GcReport report;
  for (const auto& blob : BERTH_TRY(content_.list())) {
    if (refs.blobs.contains(blob.str())) continue;
    auto size = content_.size(blob);
    if (auto removed = content_.remove(blob); !removed) {
      if (removed.error().errno_value == ENOENT) continue;
      return fail(removed.error().wrap("gc"));
    }
    ++report.blobs_removed;
    report.bytes_freed += size.value_or(0);
  }
  for (const auto& chain : BERTH_TRY(layers_.list())) {
    if (refs.chain_ids.contains(chain.str()) || pinned.contains(chain.str())) continue;
    auto size = layers_.size(chain);
    if (auto removed = layers_.remove(chain); !removed) return fail(removed.error().wrap("gc"));
    ++report.layers_removed;
    report.bytes_freed += size.value_or(0);
  }
  // Copies of layers made for id maps (mapped_layers.hpp) go with their layers.
  report.bytes_freed +=
      BERTH_TRY(MappedLayers(data_root_, layers_).remove_unreferenced(BERTH_TRY(layers_.list())));
  const int64_t start = leftovers::process_start_unix();
  const std::string ingest = fs::join(content_.root(), "ingest");
  for (const auto& name : BERTH_TRY(leftovers::find(ingest, "", start)))
    report.bytes_freed += BERTH_TRY(leftovers::remove(ingest, name));
  for (const auto& name : BERTH_TRY(layers_.leftovers(start)))
    report.bytes_freed += BERTH_TRY(layers_.remove_leftover(name));
  const std::string snapshots = fs::join(data_root_, "snapshots");
  for (const auto& name : BERTH_TRY(leftovers::find(snapshots, kTempPrefix, start)))
    report.bytes_freed += BERTH_TRY(leftovers::remove(snapshots, name));
  return report;
}

Result<StoreCheck> ImageStore::check() const {
  auto content_lines = BERTH_TRY(content_.check());
  StoreCheck result;
  result.problems = content_lines;
  std::vector<std::string>& out = result.problems;
  auto blob_problem = [&](const Digest& d) -> std::string {
    if (!content_.has(d)) return "missing from the content store";
    const std::string path = quote(content_.path(d));
    for (const auto& line : content_lines)
      if (line.find(path) != std::string::npos) return "corrupt";
    return {};
  };
  {
    std::lock_guard lock(*mu_);
    for (const auto& id : BERTH_TRY(image_db::ids(db_))) {
      auto record = BERTH_TRY(image_db::load(db_, id));
      if (!record) continue;
      const std::string image = shown_image(*record);
      if (auto p = blob_problem(record->manifest_digest); !p.empty())
        out.push_back(image + ": manifest " + record->manifest_digest.str() + ": " + p);
      if (auto p = blob_problem(record->id); !p.empty())
        out.push_back(image + ": config " + record->id.str() + ": " + p);
      for (const auto& layer : BERTH_TRY(image_db::layers(db_, id))) {
        if (auto p = blob_problem(layer.blob); !p.empty())
          out.push_back(image + ": layer blob " + layer.blob.str() + ": " + p);
        if (!layers_.has(layer.chain_id))
          out.push_back(image + ": layer " + layer.chain_id.str() + ": " +
                        quote(layers_.diff_path(layer.chain_id)) + " is missing");
      }
    }
    for (auto& line : BERTH_TRY(image_db::quick_check(db_))) out.push_back(std::move(line));
  }
  constexpr auto kAny = std::numeric_limits<int64_t>::max();
  const std::string ingest = fs::join(content_.root(), "ingest");
  for (const auto& name : BERTH_TRY(leftovers::find(ingest, "", kAny)))
    result.leftovers.push_back("leftover of an interrupted download: " +
                               quote(fs::join(ingest, name)) + " (gc removes it)");
  for (const auto& name : BERTH_TRY(layers_.leftovers(kAny)))
    result.leftovers.push_back("leftover of an interrupted unpack or removal: " +
                               quote(fs::join(layers_.root(), name)) + " (gc removes it)");
  const std::string snapshots = fs::join(data_root_, "snapshots");
  for (const auto& name : BERTH_TRY(leftovers::find(snapshots, kTempPrefix, kAny)))
    result.leftovers.push_back("leftover of an interrupted snapshot: " +
                               quote(fs::join(snapshots, name)) + " (gc removes it)");
  return result;
}

}  // namespace berth::image
