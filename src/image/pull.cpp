#include "image/pull.hpp"

#include <set>
#include <variant>
#include <vector>

#include "image/blob_download.hpp"
#include "image/blob_sources.hpp"
#include "image/manifest.hpp"
#include "image/manifest_fetch.hpp"
#include "image/media_types.hpp"
#include "image/parallel.hpp"
#include "image/registry_session.hpp"
#include "image/select_manifest.hpp"

namespace berth::image {

namespace {

struct ManifestBytes {
  std::string bytes;
  std::string media_type;  // the registry's Content-Type; "" when read from the store
  Digest digest;
  bool fetched = false;  // not in the store before
};

std::string short_id(const Digest& d) {
  return d.hex.substr(0, 12);
}

// A manifest named by digest comes from the store when it is there; by tag, from the registry.
Result<ManifestBytes> get_manifest(RegistrySession& session, const ContentStore& store,
                                   const std::string& reference,
                                   const std::optional<Digest>& digest) {
  if (digest && store.has(*digest))
    return ManifestBytes{BERTH_TRY(store.read(*digest, kMaxManifestSize)), "", *digest, false};
  auto m = BERTH_TRY(fetch_manifest(session, session.client(), reference, digest));
  const bool had = store.has(m.digest);
  if (!had) BERTH_TRY(store.put(m.bytes));
  return ManifestBytes{std::move(m.bytes), std::move(m.media_type), m.digest, !had};
}

std::string default_type(const ManifestDocument& doc) {
  if (auto* m = std::get_if<Manifest>(&doc))
    return m->media_type.empty() ? std::string(media_type::kOciManifest) : m->media_type;
  const auto& i = std::get<Index>(doc);
  return i.media_type.empty() ? std::string(media_type::kOciIndex) : i.media_type;
}

void say(Progress* progress, const std::string& id, const std::string& text) {
  if (progress) progress->status(id, text);
}

// The platform's image manifest, through the index when the reference names one.
Result<Manifest> resolve_manifest(RegistrySession& session, const ContentStore& store,
                                  const Reference& ref, const Platform& platform,
                                  PullResult& result) {
  const std::string top_ref = ref.digest ? ref.digest->str() : ref.tag;
  auto top = BERTH_TRY(get_manifest(session, store, top_ref, ref.digest));
  result.downloaded_anything |= top.fetched;
  auto doc = parse_manifest(top.bytes, top.media_type);
  if (!doc) return fail(doc.error().wrap(top.digest.str()));
  if (auto* m = std::get_if<Manifest>(&*doc)) {
    result.manifest_digest = top.digest;
    result.manifest_media_type = default_type(*doc);
    return std::move(*m);
  }

  const auto& index = std::get<Index>(*doc);
  result.index_digest = top.digest;
  const std::string what = "index " + top.digest.str();
  auto entry = select_manifest(index, platform);
  if (!entry) return fail(entry.error().wrap(what));
  if (!media_type::is_manifest(entry->media_type))
    return fail_msg(what + ": the entry for " + platform.str() + " is a " +
                    quote(entry->media_type) + ", not an image manifest");
  if (entry->size < 0 || static_cast<uint64_t>(entry->size) > kMaxManifestSize)
    return fail_msg(what + ": manifest " + entry->digest.str() + " is " +
                    std::to_string(entry->size) + " bytes, more than the " +
                    std::to_string(kMaxManifestSize) + " allowed");
  auto child = BERTH_TRY(get_manifest(session, store, entry->digest.str(), entry->digest));
  if (child.bytes.size() != static_cast<uint64_t>(entry->size))
    return fail_msg(what + ": manifest " + entry->digest.str() + " is " +
                    std::to_string(child.bytes.size()) + " bytes, the index says " +
                    std::to_string(entry->size));
  result.downloaded_anything |= child.fetched;
  auto child_doc =
      parse_manifest(child.bytes, child.media_type.empty() ? entry->media_type : child.media_type);
  if (!child_doc) return fail(child_doc.error().wrap(entry->digest.str()));
  auto* m = std::get_if<Manifest>(&*child_doc);
  if (!m)
    return fail_msg(what + ": entry " + entry->digest.str() +
                    " is an index, not an image manifest");
  result.manifest_digest = child.digest;
  result.manifest_media_type = default_type(*child_doc);
  return std::move(*m);
}

}  // namespace

Result<PullResult> pull_image(const ContentStore& store, const Reference& ref,
                              const Platform& platform, const RegistryConfig& config,
                              Progress* progress, const LayerBlobReady& on_layer_blob) {
  const std::string what = "pull " + ref.familiar();
  auto opened = RegistrySession::open(ref, RegistryAccess::pull, config);
  if (!opened) return fail(opened.error().wrap(what));
  RegistrySession& session = **opened;

  PullResult result;
  result.reference = ref;
  say(progress, "", (ref.tag.empty() ? ref.digest->str() : ref.tag) + ": Pulling from " + ref.path);
  auto manifest = resolve_manifest(session, store, ref, platform, result);
  if (!manifest) return fail(manifest.error().wrap(what));
  result.config_digest = manifest->config.digest;

  BlobTransferOptions quiet{.retries = config.retries};
  auto config_fetched = download_blob(session, session.client(), store, manifest->config, quiet);
  if (!config_fetched) return fail(config_fetched.error().wrap(what));
  result.downloaded_anything |= *config_fetched;

  std::vector<const Descriptor*> wanted;
  std::set<std::string> seen;
  for (const auto& layer : manifest->layers) {
    if (!seen.insert(layer.digest.hex).second) continue;
    if (store.has(layer.digest)) {
      say(progress, short_id(layer.digest), "Already exists");
      if (on_layer_blob) on_layer_blob(*manifest, layer);
      continue;
    }
    say(progress, short_id(layer.digest), "Pulling fs layer");
    wanted.push_back(&layer);
  }
  const size_t workers = static_cast<size_t>(std::max(1, config.max_concurrent_downloads));
  for (size_t i = workers; i < wanted.size(); ++i)
    say(progress, short_id(wanted[i]->digest), "Waiting");

  std::vector<HttpClient> clients;
  for (size_t w = 0; w < std::min(workers, wanted.size()); ++w)
    clients.push_back(session.new_client());
  std::atomic<bool> cancel{false};
  std::atomic<bool> fetched_any{false};
  auto downloaded =
      run_parallel(wanted.size(), workers, cancel, [&](size_t worker, size_t i) -> Status {
        const Descriptor& layer = *wanted[i];
        BlobTransferOptions options{.progress = progress,
                                    .id = short_id(layer.digest),
                                    .retries = config.retries,
                                    .cancel = &cancel};
        auto fetched = BERTH_TRY(download_blob(session, clients[worker], store, layer, options));
        if (fetched)
          fetched_any.store(true);
        else
          say(progress, options.id, "Already exists");
        if (on_layer_blob) on_layer_blob(*manifest, layer);
        return {};
      });
  if (!downloaded) return fail(downloaded.error().wrap(what));
  result.downloaded_anything |= fetched_any.load();

  // Where the blobs came from, for cross-repository mounts on a later push; only a hint.
  (void)record_blob_source(store, manifest->config.digest, ref.name());
  for (const auto& layer : manifest->layers)
    (void)record_blob_source(store, layer.digest, ref.name());
  return result;
}

}  // namespace berth::image
