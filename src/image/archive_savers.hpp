#pragma once

#include <vector>

#include "base/error.hpp"
#include "image/archive.hpp"
#include "image/content_store.hpp"
#include "image/manifest.hpp"
#include "image/tar_output.hpp"

// The two shapes save_archive writes.
namespace berth::image {

Status save_docker_archive(const ContentStore& store, const std::vector<ArchiveImage>& images,
                           TarOutput& tar);
Status save_oci_archive(const ContentStore& store, const std::vector<ArchiveImage>& images,
                        TarOutput& tar);

// The image manifest an ArchiveImage names; an index is refused.
Result<Manifest> read_image_manifest(const ContentStore& store, const ArchiveImage& image);

}  // namespace berth::image
