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
// (oci-layout, index.json, blobs/), plain or gzip/zstd/xz-compressed, from fd, in one pass (a pipe
// will do). Every blob goes into the store verified. Docker-save layers (uncompressed tars; gzip
// and zstd ones are taken too, as docker load takes them) are stored as they are, under an OCI
// manifest synthesized for them (config media type application/vnd.docker.container.image.v1+json);
// each layer's sha256 must equal the config's rootfs.diff_ids[i]. An index in an OCI layout gives
// the host's platform when the archive holds it, else the first complete image. Names come from
// RepoTags, io.containerd.image.name, and org.opencontainers.image.ref.name when that holds more
// than a tag. Hostile input (.. or absolute member paths, links out of the archive, missing
// members, digest mismatches, JSON documents above kMaxManifestSize, not a tar) fails with one
// line; what was written by then is only blobs verified against their digests (members above
// 1 MiB are stored as they are read, whether an image uses them or not).
Result<std::vector<ArchiveImage>> load_archive(const ContentStore& store, int fd);

// Writes the images (their manifests/configs/layers from the store) to out_fd as a tar, the same
// bytes for the same images. docker: as docker 20.10 writes it, <config hex>.json,
// <chain id>/{layer.tar,json,VERSION} with layer.tar uncompressed (compressed layers are
// decompressed on the fly, and checked against their diff ids), manifest.json with RepoTags in
// familiar form ("busybox:latest"), and the legacy "repositories" file. oci: oci-layout, blobs as
// stored, index.json with one entry per name (org.opencontainers.image.ref.name = tag,
// io.containerd.image.name = full name), or one without annotations for an unnamed image.
Status save_archive(const ContentStore& store, const std::vector<ArchiveImage>& images,
                    ArchiveFormat format, int out_fd);

struct ImportOptions {
  std::string message;  // history comment
  // Dockerfile instructions as `docker import --change` takes them: CMD, ENTRYPOINT, ENV, EXPOSE,
  // USER, WORKDIR, LABEL, VOLUME, STOPSIGNAL (JSON and shell forms); see dockerfile_changes.hpp.
  std::vector<std::string> changes;
  Platform platform = host_platform();
};

// docker import: a rootfs tarball (plain, gzip, zstd, xz or bzip2) becomes a one-layer image with
// a fresh config (application/vnd.oci.image.config.v1+json) and OCI manifest, names empty. The
// layer is stored as it comes when plain, gzip or zstd, else decompressed; its diff id is the
// sha256 of the uncompressed tar. Bad changes and input that is not a tar write nothing.
Result<ArchiveImage> import_rootfs(const ContentStore& store, int tar_fd,
                                   const ImportOptions& options);

}  // namespace berth::image
