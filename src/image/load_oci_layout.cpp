#include <algorithm>

#include "base/json_reader.hpp"
#include "base/json_text.hpp"
#include "image/archive_loaders.hpp"
#include "image/image_config.hpp"
#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "image/select_manifest.hpp"

namespace berth::image {

namespace {

constexpr int kMaxIndexDepth = 4;
constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";
constexpr std::string_view kContainerdNameAnnotation = "io.containerd.image.name";
constexpr std::string_view kDockerUncompressedLayer =
    "application/vnd.docker.image.rootfs.diff.tar";

bool is_uncompressed(std::string_view type) {
  return type == media_type::kOciLayer || type == media_type::kOciLayerNondistributable ||
         type == kDockerUncompressedLayer;
}

bool may_be_absent(std::string_view type) {
  return type == media_type::kOciLayerNondistributable ||
         type == media_type::kOciLayerNondistributableGzip ||
         type == media_type::kOciLayerNondistributableZstd ||
         type == media_type::kDockerForeignLayer;
}

// Errors name what: "config sha256:...: not in the archive".
Status check_present(const ContentStore& store, const Descriptor& d, const std::string& what) {
  const std::string named = what + " " + d.digest.str();
  if (!store.has(d.digest)) return fail_msg(named + ": not in the archive");
  auto size = BERTH_TRY(store.size(d.digest));
  if (size != static_cast<uint64_t>(d.size))
    return fail_msg(named + ": size is " + std::to_string(size) + " bytes, not " +
                    std::to_string(d.size) + " as its descriptor says");
  return {};
}

Result<ManifestDocument> read_document(const ContentStore& store, const Descriptor& d) {
  BERTH_CHECK(check_present(store, d, "manifest"));
  auto bytes = BERTH_TRY(store.read(d.digest, kMaxManifestSize));
  auto doc = parse_manifest(bytes, d.media_type);
  if (!doc) return fail(doc.error().wrap("manifest " + d.digest.str()));
  return doc;
}

// The image's config and layers are all there, and agree.
Result<Digest> check_image(const ContentStore& store, const Manifest& m) {
  BERTH_CHECK(check_present(store, m.config, "config"));
  auto config = parse_image_config(BERTH_TRY(store.read(m.config.digest, kMaxManifestSize)));
  if (!config) return fail(config.error().wrap("config " + m.config.digest.str()));
  const auto& diff_ids = config->rootfs.diff_ids;
  if (diff_ids.size() != m.layers.size())
    return fail_msg(std::to_string(m.layers.size()) + " layers, but config " +
                    m.config.digest.str() + " has " + std::to_string(diff_ids.size()) +
                    " diff ids");
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const auto& layer = m.layers[i];
    const std::string what = "layers[" + std::to_string(i) + "]";
    if (!store.has(layer.digest) && may_be_absent(layer.media_type)) continue;
    BERTH_CHECK(check_present(store, layer, what));
    if (is_uncompressed(layer.media_type) && layer.digest != diff_ids[i])
      return fail_msg(what + " " + layer.digest.str() + ": uncompressed, but config says " +
                      "rootfs.diff_ids[" + std::to_string(i) + "] is " + diff_ids[i].str());
  }
  return m.config.digest;
}

struct ResolvedImage {
  Descriptor manifest;
  Digest config;
};

Result<ResolvedImage> resolve(const ContentStore& store, const Descriptor& d, int depth);

// An index in the archive: the host's platform when the archive holds it, else the first
// complete image (`docker save` of a multi-platform image keeps only the platforms it has).
Result<ResolvedImage> resolve_index(const ContentStore& store, const Index& index, int depth) {
  if (depth >= kMaxIndexDepth) return fail_msg("indexes nested too deep");
  if (auto want = select_manifest(index, host_platform())) {
    if (auto image = resolve(store, *want, depth + 1)) return image;
  }
  std::optional<Error> first_error;
  for (const auto& entry : index.manifests) {
    auto image = resolve(store, entry, depth + 1);
    if (image) return image;
    if (!first_error) first_error = image.error();
  }
  if (first_error) return fail(*first_error);
  return fail_msg("an empty index");
}

Result<ResolvedImage> resolve(const ContentStore& store, const Descriptor& d, int depth) {
  auto doc = read_document(store, d);
  if (!doc) return fail(doc.error());
  if (auto* index = std::get_if<Index>(&*doc)) {
    auto image = resolve_index(store, *index, depth);
    if (!image) return fail(image.error().wrap("index " + d.digest.str()));
    return image;
  }
  const auto& m = std::get<Manifest>(*doc);
  auto config = check_image(store, m);
  if (!config) return fail(config.error().wrap("manifest " + d.digest.str()));
  ResolvedImage image{d, *config};
  image.manifest.media_type = m.media_type;
  return image;
}

// io.containerd.image.name holds the full name; org.opencontainers.image.ref.name is a name only
// when it has a repository, else it is a bare tag, which names nothing on its own.
std::optional<std::string> name_of(const std::map<std::string, std::string>& annotations) {
  for (auto key : {kContainerdNameAnnotation, kRefNameAnnotation}) {
    auto it = annotations.find(std::string(key));
    if (it == annotations.end()) continue;
    if (key == kRefNameAnnotation && it->second.find_first_of("/:@") == std::string::npos) continue;
    if (auto name = normalized_name(it->second)) return *name;
  }
  return std::nullopt;
}

void add_name(ArchiveImage& image, std::string name) {
  if (std::find(image.names.begin(), image.names.end(), name) == image.names.end())
    image.names.push_back(std::move(name));
}

Status check_layout_version(const ArchiveMembers& members) {
  if (!members.has("oci-layout")) return {};
  const auto text = BERTH_TRY(members.read_small("oci-layout", kMaxManifestSize));
  const auto json = BERTH_TRY(parse_json_text(text, "oci-layout"));
  JsonReader r(json, "oci-layout");
  BERTH_CHECK(r.expect_object());
  auto version = BERTH_TRY(r.required_string("imageLayoutVersion"));
  if (!version.starts_with("1."))
    return fail(r.error("imageLayoutVersion", "unsupported version " + quote(version)));
  return {};
}

// Docker 25+ archives also carry manifest.json: its RepoTags name the images whose configs match.
void add_docker_names(const ArchiveMembers& members, std::vector<ArchiveImage>& images) {
  if (!members.has("manifest.json")) return;
  auto text = members.read_small("manifest.json", kMaxManifestSize);
  if (!text) return;
  auto json = parse_json_text(*text, "manifest.json");
  if (!json || !json->is_array()) return;
  for (const auto& entry : *json) {
    JsonReader r(entry, "manifest.json");
    auto config = r.string("Config");
    auto tags = r.strings("RepoTags");
    if (!config || !tags) continue;
    auto digest = members.digest(*config);
    if (!digest) continue;
    for (auto& image : images) {
      if (image.config_digest != *digest) continue;
      for (const auto& tag : *tags)
        if (auto name = normalized_name(tag)) add_name(image, *name);
    }
  }
}

}  // namespace

Result<std::vector<ArchiveImage>> load_oci_layout(const ContentStore& store,
                                                  const ArchiveMembers& members) {
  BERTH_CHECK(check_layout_version(members));
  const auto text = BERTH_TRY(members.read_small("index.json", kMaxManifestSize));
  auto doc = parse_manifest(text, media_type::kOciIndex);
  if (!doc) return fail(doc.error().wrap("index.json"));
  const auto* index = std::get_if<Index>(&*doc);
  if (index == nullptr) return fail_msg("index.json: an image manifest, not an index");

  std::vector<ArchiveImage> images;
  for (size_t i = 0; i < index->manifests.size(); ++i) {
    const auto& entry = index->manifests[i];
    auto resolved = resolve(store, entry, 0);
    if (!resolved)
      return fail(resolved.error().wrap("index.json: manifests[" + std::to_string(i) + "]"));
    auto same = std::find_if(images.begin(), images.end(), [&](const ArchiveImage& image) {
      return image.manifest_digest == resolved->manifest.digest;
    });
    if (same == images.end()) {
      images.push_back(
          {resolved->manifest.digest, resolved->manifest.media_type, resolved->config, {}});
      same = images.end() - 1;
    }
    if (auto name = name_of(entry.annotations)) add_name(*same, std::move(*name));
  }
  add_docker_names(members, images);
  return images;
}

}  // namespace berth::image
