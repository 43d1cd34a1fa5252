#include <time.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "image/archive.hpp"
#include "image/dockerfile_changes.hpp"
#include "image/media_types.hpp"
#include "image/rootfs_layer.hpp"

namespace berth::image {

namespace {

// RFC 3339 in UTC with nanoseconds, as Docker writes `created`.
std::string now_rfc3339() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return buf;
}

nlohmann::json descriptor_json(std::string_view media_type, const Digest& d, uint64_t size) {
  return {{"mediaType", media_type}, {"digest", d.str()}, {"size", size}};
}

}  // namespace

Result<ArchiveImage> import_rootfs(const ContentStore& store, int tar_fd,
                                   const ImportOptions& options) {
  nlohmann::json container_config = nlohmann::json::object();
  if (auto s = apply_changes(container_config, options.changes); !s)
    return fail(s.error().wrap("import"));
  auto layer = store_tarball_layer(store, tar_fd);
  if (!layer) return fail(layer.error().wrap("import"));

  const std::string created = now_rfc3339();
  nlohmann::json history = {{"created", created}};
  if (!options.message.empty()) history["comment"] = options.message;
  nlohmann::json config = {
      {"created", created},
      {"architecture", options.platform.architecture},
      {"os", options.platform.os},
      {"config", std::move(container_config)},
      {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array({layer->diff_id.str()})}}},
      {"history", nlohmann::json::array({std::move(history)})},
  };
  if (!options.platform.variant.empty()) config["variant"] = options.platform.variant;
  if (!options.platform.os_version.empty()) config["os.version"] = options.platform.os_version;
  const std::string config_bytes = config.dump();

  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", media_type::kOciManifest},
      {"config",
       descriptor_json(media_type::kOciConfig, sha256_of(config_bytes), config_bytes.size())},
      {"layers",
       nlohmann::json::array({descriptor_json(layer->media_type, layer->digest, layer->size)})},
  };
  ArchiveImage image;
  image.config_digest = BERTH_TRY(store.put(config_bytes));
  image.manifest_digest = BERTH_TRY(store.put(manifest.dump()));
  image.manifest_media_type = media_type::kOciManifest;
  return image;
}

}  // namespace berth::image
