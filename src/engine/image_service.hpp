#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "image/archive.hpp"
#include "image/image_config.hpp"
#include "image/image_store.hpp"
#include "image/platform.hpp"
#include "image/progress.hpp"
#include "image/reference.hpp"
#include "image/registry_config.hpp"

namespace berth::engine {

struct PulledImage {
  image::ImageRecord record;
  image::Reference reference;
  bool up_to_date = false;
};

// The image verbs over the store and the registry client, as the CLI and the API server run them:
// names given by users are normalized here, and every step that writes blobs holds a store lease
// so that a concurrent gc cannot take them before the image is recorded.
class ImageService {
 public:
  ImageService(std::unique_ptr<image::ImageStore> store, image::RegistryConfig registry)
      : store_(std::move(store)), registry_(std::move(registry)) {}

  image::ImageStore& store() { return *store_; }
  const image::RegistryConfig& registry() const { return registry_; }

  Result<PulledImage> pull(std::string_view name, const image::Platform& platform,
                           image::Progress* progress);
  // Pushes the image recorded under name (its tag, "latest" when none is given).
  Result<image::Digest> push(std::string_view name, image::Progress* progress);
  // A name ("busybox", "busybox:1", "x@sha256:..."), an id or a unique id prefix.
  Result<image::ImageRecord> resolve(std::string_view name_or_id) const;
  Status tag(std::string_view source, std::string_view target);
  Result<image::RemovedImage> remove(std::string_view name_or_id, bool force);

  Result<std::vector<image::ImageRecord>> load(int fd);
  // Names as users give them; the archive carries the names they were given by.
  Status save(const std::vector<std::string>& names, image::ArchiveFormat format, int out_fd) const;
  Result<image::ImageRecord> import(int tar_fd, const image::ImportOptions& options,
                                    std::string_view name);

  // The config of a recorded image, parsed.
  Result<image::ImageConfig> config(const image::ImageRecord& record) const;

 private:
  std::unique_ptr<image::ImageStore> store_;
  image::RegistryConfig registry_;
};

}  // namespace berth::engine
