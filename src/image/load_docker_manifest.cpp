#include <archive.h>
#include <archive_entry.h>

#include <optional>

#include <nlohmann/json.hpp>

#include "base/json_reader.hpp"
#include "base/json_text.hpp"
#include "image/archive_io.hpp"
#include "image/archive_loaders.hpp"
#include "image/image_config.hpp"
#include "image/manifest.hpp"
#include "image/media_types.hpp"
#include "image/reference.hpp"

namespace berth::image {

namespace {

// One entry of manifest.json, checked, with what it will put into the store.
struct PlannedImage {
  std::string config;
  std::vector<std::string> layer_members;
  std::string manifest;
  ArchiveImage image;
};

// Docker's own loader takes gzip and zstd layer files too: the diff id is then the digest of what
// they decompress to, and the store keeps them compressed.
Result<std::optional<std::string_view>> compressed_layer_type(const ArchiveMembers& members,
                                                              const std::string& name,
                                                              const Digest& diff_id) {
  auto fd = BERTH_TRY(members.open(name));
  auto reader = open_raw_reader(fd.get(), "layer " + quote(name));
  archive_entry* entry = nullptr;
  if (!reader || archive_read_next_header(reader->get(), &entry) < ARCHIVE_WARN)
    return std::optional<std::string_view>{};
  std::string_view type;
  switch (archive_filter_code(reader->get(), 0)) {
    case ARCHIVE_FILTER_GZIP:
      type = media_type::kOciLayerGzip;
      break;
    case ARCHIVE_FILTER_ZSTD:
      type = media_type::kOciLayerZstd;
      break;
    default:
      return std::optional<std::string_view>{};
  }
  Sha256 hash;
  auto status = read_entry_data(reader->get(), [&](std::string_view data) -> Status {
    hash.update(data.data(), data.size());
    return {};
  });
  if (!status) return fail(status.error().wrap("decompress layer " + quote(name)));
  if (hash.finish() != diff_id) return std::optional<std::string_view>{};
  return std::optional<std::string_view>(type);
}

nlohmann::json descriptor_json(std::string_view media_type, const Digest& d, uint64_t size) {
  return {{"mediaType", media_type}, {"digest", d.str()}, {"size", size}};
}

Result<PlannedImage> plan_image(const ArchiveMembers& members, const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  PlannedImage plan;
  const auto config_name = BERTH_TRY(r.required_string("Config"));
  auto config = members.read_small(config_name, kMaxManifestSize);
  if (!config) return fail(config.error().wrap(r.field_path("Config")));
  plan.config = std::move(*config);
  auto parsed = parse_image_config(plan.config);
  if (!parsed) return fail(parsed.error().wrap("config " + quote(config_name)));
  const auto& diff_ids = parsed->rootfs.diff_ids;

  plan.layer_members = BERTH_TRY(r.strings("Layers"));
  if (plan.layer_members.size() != diff_ids.size())
    return fail(r.error("Layers", std::to_string(plan.layer_members.size()) +
                                      " layers, but config " + quote(config_name) + " has " +
                                      std::to_string(diff_ids.size()) + " diff ids"));
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    const auto& name = plan.layer_members[i];
    auto d = members.digest(name);
    if (!d) return fail(d.error().wrap(r.field_path("Layers[" + std::to_string(i) + "]")));
    std::optional<std::string_view> type = media_type::kOciLayer;
    if (*d != diff_ids[i]) type = BERTH_TRY(compressed_layer_type(members, name, diff_ids[i]));
    if (!type)
      return fail_msg("layer " + quote(name) + ": content has digest " + d->str() +
                      ", but config " + quote(config_name) + " says rootfs.diff_ids[" +
                      std::to_string(i) + "] is " + diff_ids[i].str());
    layers.push_back(descriptor_json(*type, *d, BERTH_TRY(members.size(name))));
  }

  plan.image.config_digest = sha256_of(plan.config);
  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", media_type::kOciManifest},
      {"config",
       descriptor_json(media_type::kDockerConfig, plan.image.config_digest, plan.config.size())},
      {"layers", std::move(layers)},
  };
  plan.manifest = manifest.dump();
  plan.image.manifest_digest = sha256_of(plan.manifest);
  plan.image.manifest_media_type = media_type::kOciManifest;

  for (const auto& tag : BERTH_TRY(r.strings("RepoTags"))) {
    auto name = normalized_name(tag);
    if (!name) return fail(name.error().wrap(r.field_path("RepoTags")));
    plan.image.names.push_back(std::move(*name));
  }
  return plan;
}

}  // namespace

Result<std::string> normalized_name(const std::string& name) {
  return BERTH_TRY(parse_reference(name)).str();
}

Result<std::vector<ArchiveImage>> load_docker_manifest(const ContentStore& store,
                                                       const ArchiveMembers& members) {
  const auto text = BERTH_TRY(members.read_small("manifest.json", kMaxManifestSize));
  const auto json = BERTH_TRY(parse_json_text(text, "manifest.json"));
  if (!json.is_array()) return fail_msg("manifest.json: must be an array");
  // Everything is checked before anything is written.
  std::vector<PlannedImage> plans;
  for (size_t i = 0; i < json.size(); ++i)
    plans.push_back(BERTH_TRY(
        plan_image(members, JsonReader(json[i], "manifest.json[" + std::to_string(i) + "]"))));
  std::vector<ArchiveImage> images;
  for (auto& plan : plans) {
    for (const auto& layer : plan.layer_members) BERTH_CHECK(members.commit(layer));
    BERTH_CHECK(store.put(plan.config));
    BERTH_CHECK(store.put(plan.manifest));
    images.push_back(std::move(plan.image));
  }
  return images;
}

}  // namespace berth::image
