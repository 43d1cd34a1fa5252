#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "image/content_store.hpp"
#include "image/digest.hpp"
#include "image/platform.hpp"

namespace berth::image {

// One image found in (or written to) an archive.
struct ArchiveImage {
  Digest manifest_digest;  // the image manifest in the content store
  std::string manifest_media_type;
  Digest config_digest;
  // Full normalized names as given by the archive ("docker.io/library/busybox:latest").
  std::vector<std::string> names;
};

enum class ArchiveFormat { docker, oci };

// Reads a docker-save archive (manifest.json, <id>.json configs, layer tars; also the newer
// Docker 25+ archives that are OCI layouts with manifest.json) or an OCI image-layout archive
// (oci-layout, index.json, blobs/), plain or gzip/zstd/xz-compressed, from fd. Every blob goes
// into the store verified. Docker-save layers (uncompressed tars) are stored as they are, under an
// OCI manifest synthesized for them; each layer's sha256 must equal the config's
// rootfs.diff_ids[i]. Hostile input (.. or absolute member paths, missing members, digest
// mismatches, oversized JSON, not a tar) fails with one line; only verified blobs are written.
Result<std::vector<ArchiveImage>> load_archive(const ContentStore& store, int fd);

// Writes the images (their manifests/configs/layers from the store) to out_fd as a tar.
// docker: manifest.json, configs, uncompressed layer tars (compressed layers are decompressed on
// the fly), and the legacy "repositories" file. oci: oci-layout, index.json with one entry per
// name, blobs as stored.
Status save_archive(const ContentStore& store, const std::vector<ArchiveImage>& images,
                    ArchiveFormat format, int out_fd);

struct ImportOptions {
  std::string message;  // history comment
  // Dockerfile instructions as `docker import --change` takes them: CMD, ENTRYPOINT, ENV, EXPOSE,
  // USER, WORKDIR, LABEL, VOLUME, STOPSIGNAL (JSON and shell forms).
  std::vector<std::string> changes;
  Platform platform = host_platform();
};

// docker import: a rootfs tarball (plain or compressed) becomes a one-layer image with a fresh
// config and OCI manifest.
Result<ArchiveImage> import_rootfs(const ContentStore& store, int tar_fd,
                                   const ImportOptions& options);

}  // namespace berth::image
