#include "image/push.hpp"

#include <set>
#include <variant>
#include <vector>

#include "image/blob_sources.hpp"
#include "image/blob_upload.hpp"
#include "image/manifest.hpp"
#include "image/manifest_upload.hpp"
#include "image/media_types.hpp"
#include "image/parallel.hpp"
#include "image/registry_session.hpp"

namespace berth::image {

namespace {

struct StoredManifest {
  Digest digest;
  std::string bytes;
  std::string media_type;
  Manifest manifest;
};

// What a push sends: image manifests (children of an index first), then the index itself.
struct PushPlan {
  std::vector<StoredManifest> manifests;
  std::optional<std::pair<std::string, std::string>> index;  // bytes, media type
  std::string top_media_type;
  std::vector<Descriptor> configs;
  std::vector<Descriptor> layers;
};

Result<StoredManifest> read_image_manifest(const ContentStore& store, const Digest& digest) {
  auto bytes = BERTH_TRY(store.read(digest, kMaxManifestSize));
  auto doc = parse_manifest(bytes);
  if (!doc) return fail(doc.error().wrap(digest.str()));
  auto* m = std::get_if<Manifest>(&*doc);
  if (!m) return fail_msg(digest.str() + ": an index inside an index is not supported");
  std::string type = m->media_type.empty() ? std::string(media_type::kOciManifest) : m->media_type;
  return StoredManifest{digest, std::move(bytes), std::move(type), std::move(*m)};
}

Result<PushPlan> plan_push(const ContentStore& store, const Digest& top) {
  PushPlan plan;
  auto bytes = BERTH_TRY(store.read(top, kMaxManifestSize));
  auto doc = parse_manifest(bytes);
  if (!doc) return fail(doc.error().wrap(top.str()));
  if (auto* index = std::get_if<Index>(&*doc)) {
    const std::string what = "index " + top.str();
    for (const auto& entry : index->manifests) {
      const std::string platform = entry.platform ? " (" + entry.platform->str() + ")" : "";
      if (!store.has(entry.digest))
        return fail_msg(what + ": manifest " + entry.digest.str() + platform +
                        " is not in the store; push the platform's manifest instead of the index");
      auto m = read_image_manifest(store, entry.digest);
      if (!m) return fail(m.error().wrap(what));
      plan.manifests.push_back(std::move(*m));
    }
    plan.top_media_type =
        index->media_type.empty() ? std::string(media_type::kOciIndex) : index->media_type;
    plan.index.emplace(std::move(bytes), plan.top_media_type);
  } else {
    auto m = BERTH_TRY(read_image_manifest(store, top));
    plan.top_media_type = m.media_type;
    plan.manifests.push_back(std::move(m));
  }
  std::set<std::string> seen;
  for (const auto& m : plan.manifests) {
    if (seen.insert(m.manifest.config.digest.hex).second) plan.configs.push_back(m.manifest.config);
    for (const auto& layer : m.manifest.layers)
      if (seen.insert(layer.digest.hex).second) plan.layers.push_back(layer);
  }
  return plan;
}

// Repository paths of the destination's registry that the store says have the blob.
std::vector<std::string> mount_sources(const ContentStore& store, const Digest& blob,
                                       const Reference& dest) {
  std::vector<std::string> out;
  const std::string prefix = dest.domain + "/";
  for (const auto& name : blob_sources(store, blob))
    if (name.starts_with(prefix) && name.size() > prefix.size() &&
        name.substr(prefix.size()) != dest.path)
      out.push_back(name.substr(prefix.size()));
  return out;
}

std::string short_id(const Digest& d) {
  return d.hex.substr(0, 12);
}

void say(Progress* progress, const std::string& id, const std::string& text) {
  if (progress) progress->status(id, text);
}

std::string outcome_text(const UploadResult& r) {
  switch (r.outcome) {
    case UploadResult::Outcome::existed:
      return "Layer already exists";
    case UploadResult::Outcome::mounted:
      return "Mounted from " + r.mounted_from;
    case UploadResult::Outcome::pushed:
      return "Pushed";
  }
  return "Pushed";
}

}  // namespace

Result<Digest> push_image(const ContentStore& store, const Digest& manifest_digest,
                          const Reference& dest, const RegistryConfig& config, Progress* progress) {
  const std::string what = "push " + dest.familiar();
  if (dest.digest && *dest.digest != manifest_digest)
    return fail_msg(what + ": the destination names " + dest.digest->str() +
                    " but the manifest is " + manifest_digest.str());
  auto plan = plan_push(store, manifest_digest);
  if (!plan) return fail(plan.error().wrap(what));

  auto opened = RegistrySession::open(dest, RegistryAccess::push, config);
  if (!opened) return fail(opened.error().wrap(what));
  RegistrySession& session = **opened;
  say(progress, "", "The push refers to repository [" + dest.name() + "]");

  // All the blobs' candidate sources go into the first token, not one new token per blob.
  std::vector<std::vector<std::string>> sources;
  for (const auto& layer : plan->layers) {
    sources.push_back(mount_sources(store, layer.digest, dest));
    for (const auto& s : sources.back()) session.add_scope("repository:" + s + ":pull");
  }
  std::vector<std::vector<std::string>> config_sources;
  for (const auto& c : plan->configs) {
    config_sources.push_back(mount_sources(store, c.digest, dest));
    for (const auto& s : config_sources.back()) session.add_scope("repository:" + s + ":pull");
  }

  const size_t workers = static_cast<size_t>(std::max(1, config.max_concurrent_uploads));
  for (const auto& layer : plan->layers) say(progress, short_id(layer.digest), "Preparing");
  for (size_t i = workers; i < plan->layers.size(); ++i)
    say(progress, short_id(plan->layers[i].digest), "Waiting");

  std::vector<HttpClient> clients;
  for (size_t w = 0; w < std::min(workers, plan->layers.size()); ++w)
    clients.push_back(session.new_client());
  std::atomic<bool> cancel{false};
  auto pushed =
      run_parallel(plan->layers.size(), workers, cancel, [&](size_t worker, size_t i) -> Status {
        const Descriptor& layer = plan->layers[i];
        BlobTransferOptions options{.progress = progress,
                                    .id = short_id(layer.digest),
                                    .retries = config.retries,
                                    .cancel = &cancel};
        auto r =
            BERTH_TRY(upload_blob(session, clients[worker], store, layer, sources[i], options));
        say(progress, options.id, outcome_text(r));
        return {};
      });
  if (!pushed) return fail(pushed.error().wrap(what));

  BlobTransferOptions quiet{.retries = config.retries};
  for (size_t i = 0; i < plan->configs.size(); ++i) {
    auto r =
        upload_blob(session, session.client(), store, plan->configs[i], config_sources[i], quiet);
    if (!r) return fail(r.error().wrap(what));
  }

  const std::string target = dest.tag.empty() ? manifest_digest.str() : dest.tag;
  size_t top_size = 0;
  if (plan->index) {
    for (const auto& m : plan->manifests)
      if (auto s = put_manifest(session, session.client(), m.digest.str(), m.bytes, m.media_type);
          !s)
        return fail(s.error().wrap(what));
    if (auto s = put_manifest(session, session.client(), target, plan->index->first,
                              plan->index->second);
        !s)
      return fail(s.error().wrap(what));
    top_size = plan->index->first.size();
  } else {
    const auto& m = plan->manifests.front();
    if (auto s = put_manifest(session, session.client(), target, m.bytes, m.media_type); !s)
      return fail(s.error().wrap(what));
    top_size = m.bytes.size();
  }

  for (const auto& c : plan->configs) (void)record_blob_source(store, c.digest, dest.name());
  for (const auto& l : plan->layers) (void)record_blob_source(store, l.digest, dest.name());
  say(progress, "",
      target + ": digest: " + manifest_digest.str() + " size: " + std::to_string(top_size));
  return manifest_digest;
}

}  // namespace berth::image
