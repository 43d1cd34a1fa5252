#include "image/archive.hpp"
#include "image/archive_loaders.hpp"
#include "image/archive_members.hpp"

namespace berth::image {

Result<std::vector<ArchiveImage>> load_archive(const ContentStore& store, int fd) {
  auto members = ArchiveMembers::read(store, fd);
  if (!members) return fail(members.error().wrap("load archive"));
  Result<std::vector<ArchiveImage>> images;
  if (members->has("index.json"))
    images = load_oci_layout(store, *members);
  else if (members->has("manifest.json"))
    images = load_docker_manifest(store, *members);
  else
    return fail_msg("load archive: no manifest.json and no index.json: not an image archive");
  if (!images) return fail(images.error().wrap("load archive"));
  return images;
}

}  // namespace berth::image
