#include "image/archive.hpp"
#include "image/archive_savers.hpp"

namespace berth::image {

Result<Manifest> read_image_manifest(const ContentStore& store, const ArchiveImage& image) {
  const std::string what = "manifest " + image.manifest_digest.str();
  auto bytes = store.read(image.manifest_digest, kMaxManifestSize);
  if (!bytes) return fail(bytes.error().wrap(what));
  auto doc = parse_manifest(*bytes, image.manifest_media_type);
  if (!doc) return fail(doc.error().wrap(what));
  auto* m = std::get_if<Manifest>(&*doc);
  if (m == nullptr) return fail_msg(what + ": an index, not an image manifest");
  return std::move(*m);
}

Status save_archive(const ContentStore& store, const std::vector<ArchiveImage>& images,
                    ArchiveFormat format, int out_fd) {
  auto tar = TarOutput::open(out_fd);
  if (!tar) return fail(tar.error().wrap("save archive"));
  auto status = format == ArchiveFormat::docker ? save_docker_archive(store, images, *tar)
                                                : save_oci_archive(store, images, *tar);
  if (status) status = tar->close();
  if (!status) return fail(status.error().wrap("save archive"));
  return {};
}

}  // namespace berth::image
