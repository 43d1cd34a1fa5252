#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "image/archive.hpp"
#include "image/archive_members.hpp"
#include "image/content_store.hpp"

// The two shapes load_archive reads, once the archive's members are in hand.
namespace berth::image {

// manifest.json as `docker save` writes it: configs and layers named by member path.
Result<std::vector<ArchiveImage>> load_docker_manifest(const ContentStore& store,
                                                       const ArchiveMembers& members);
// An OCI image layout: index.json over blobs/ (Docker 25+ archives are also this).
Result<std::vector<ArchiveImage>> load_oci_layout(const ContentStore& store,
                                                  const ArchiveMembers& members);

// A name as an archive gives it ("busybox:latest", "docker.io/library/busybox:latest"), normalized.
Result<std::string> normalized_name(const std::string& name);

}  // namespace berth::image
