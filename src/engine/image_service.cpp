#include "engine/image_service.hpp"

#include <algorithm>

#include "engine/layer_unpacker.hpp"
#include "image/image_config.hpp"
#include "image/manifest.hpp"
#include "image/pull.hpp"
#include "image/push.hpp"

namespace berth::engine {
namespace {

// Unpacking is bound by the CPU (decompression, sha256): more threads than cores do not help.
constexpr size_t kUnpackThreads = 2;

}  // namespace

Result<PulledImage> ImageService::pull(std::string_view name, const image::Platform& platform,
                                       image::Progress* progress) {
  image::Reference ref = BERTH_TRY(image::parse_reference(name));
  auto lease = BERTH_TRY(store_->lease());
  image::PullResult pulled;
  {
    LayerUnpacker unpacker(*store_, progress, kUnpackThreads);
    auto on_blob = [&](const image::Manifest& m, const image::Descriptor& l) {
      unpacker.submit(m, l);
    };
    auto fetched =
        image::pull_image(store_->content(), ref, platform, registry_, progress, on_blob);
    if (!fetched) return fail(fetched.error());
    auto unpacked = unpacker.finish();
    if (!unpacked) return fail(unpacked.error().wrap("pull " + ref.familiar()));
    pulled = std::move(*fetched);
  }
  std::vector<std::string> tags;
  if (!ref.tag.empty() && !ref.digest) tags.push_back(ref.name() + ":" + ref.tag);
  image::Digest served =
      ref.digest ? *ref.digest : pulled.index_digest.value_or(pulled.manifest_digest);
  if (progress != nullptr) progress->status("", "Digest: " + served.str());
  std::vector<std::string> digests = {ref.name() + "@" + served.str()};
  PulledImage out;
  // Every layer is unpacked by now: add() only records the image.
  out.record = BERTH_TRY(store_->add(pulled.manifest_digest, tags, digests));
  out.reference = std::move(pulled.reference);
  out.up_to_date = !pulled.downloaded_anything;
  return out;
}

Result<image::Digest> ImageService::push(std::string_view name, image::Progress* progress) {
  image::Reference ref = BERTH_TRY(image::parse_reference(name));
  image::ImageRecord record = BERTH_TRY(resolve(name));
  return image::push_image(store_->content(), record.manifest_digest, ref, registry_, progress);
}

Result<image::ImageRecord> ImageService::resolve(std::string_view name_or_id) const {
  auto ref = image::parse_reference(name_or_id);
  if (ref) {
    auto by_name = BERTH_TRY(store_->find(ref->str()));
    if (by_name) return *by_name;
  }
  auto by_id = store_->find(name_or_id);
  if (by_id && *by_id) return **by_id;
  if (!by_id && !ref) return fail(by_id.error());
  if (!ref) return fail(ref.error());
  if (!by_id) return fail(by_id.error());
  return fail_msg("No such image: " + std::string(name_or_id));
}

Status ImageService::tag(std::string_view source, std::string_view target) {
  image::ImageRecord record = BERTH_TRY(resolve(source));
  image::Reference ref = BERTH_TRY(image::parse_reference(target));
  if (ref.digest) return fail_msg("tag " + std::string(target) + ": a tag cannot name a digest");
  return store_->tag(record.id, ref.str());
}

Result<image::RemovedImage> ImageService::remove(std::string_view name_or_id, bool force) {
  auto ref = image::parse_reference(name_or_id);
  if (ref) {
    auto by_name = BERTH_TRY(store_->find(ref->str()));
    if (by_name) return store_->remove(ref->str(), force);
  }
  image::ImageRecord record = BERTH_TRY(resolve(name_or_id));
  return store_->remove(record.id.str(), force);
}

Result<std::vector<image::ImageRecord>> ImageService::load(int fd) {
  auto lease = BERTH_TRY(store_->lease());
  auto images = BERTH_TRY(image::load_archive(store_->content(), fd));
  std::vector<image::ImageRecord> out;
  for (const auto& img : images) {
    std::vector<std::string> tags;
    for (const auto& n : img.names) {
      image::Reference ref = BERTH_TRY(image::parse_reference(n));
      if (!ref.digest) tags.push_back(ref.str());
    }
    out.push_back(BERTH_TRY(store_->add(img.manifest_digest, tags, {})));
  }
  return out;
}

Status ImageService::save(const std::vector<std::string>& names, image::ArchiveFormat format,
                          int out_fd) const {
  std::vector<image::ArchiveImage> images;
  for (const auto& n : names) {
    image::ImageRecord record = BERTH_TRY(resolve(n));
    image::ArchiveImage a{record.manifest_digest, record.manifest_media_type, record.id, {}};
    auto ref = image::parse_reference(n);
    bool is_name = ref && BERTH_TRY(store_->find(ref->str())).has_value();
    // Docker writes the name that was asked for, or every tag of an image asked for by id.
    if (is_name && !ref->digest)
      a.names.push_back(ref->str());
    else if (!is_name)
      a.names = record.repo_tags;
    auto same = std::find_if(images.begin(), images.end(), [&](const image::ArchiveImage& o) {
      return o.manifest_digest == a.manifest_digest;
    });
    if (same != images.end())
      same->names.insert(same->names.end(), a.names.begin(), a.names.end());
    else
      images.push_back(std::move(a));
  }
  return image::save_archive(store_->content(), images, format, out_fd);
}

Result<image::ImageRecord> ImageService::import(int tar_fd, const image::ImportOptions& options,
                                                std::string_view name) {
  std::vector<std::string> tags;
  if (!name.empty()) {
    image::Reference ref = BERTH_TRY(image::parse_reference(name));
    if (ref.digest) return fail_msg("import " + std::string(name) + ": a tag cannot name a digest");
    tags.push_back(ref.str());
  }
  auto lease = BERTH_TRY(store_->lease());
  image::ArchiveImage imported =
      BERTH_TRY(image::import_rootfs(store_->content(), tar_fd, options));
  return store_->add(imported.manifest_digest, tags, {});
}

Result<image::ImageConfig> ImageService::config(const image::ImageRecord& record) const {
  std::string bytes = BERTH_TRY(store_->content().read(record.id, image::kMaxManifestSize));
  auto config = image::parse_image_config(bytes);
  if (!config) return fail(config.error().wrap("image " + record.id.str() + ": config"));
  return config;
}

}  // namespace berth::engine
