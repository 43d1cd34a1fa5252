#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "image/digest.hpp"
#include "image/layer_store.hpp"

namespace berth::image {

struct Mount {
  std::string type, source, target;
  std::vector<std::string> options;
};

enum class SnapshotterKind { overlay, overlay_userns, fuse_overlayfs, copy };
std::string_view to_string(
    SnapshotterKind);  // "overlayfs", "overlayfs (user namespace)", "fuse-overlayfs", "copy"

// Probes (once per process; result cached in <data>/snapshots/.kind with the kernel release) what
// works here: as root kernel overlay; unprivileged: overlay inside a user namespace (kernel
// >= 5.11, test it by mounting in a fresh userns), else fuse-overlayfs if /usr/bin/fuse-overlayfs
// and /dev/fuse work, else copy.
Result<SnapshotterKind> detect_snapshotter(const std::string& data_root, bool rootless);

// Writable snapshots of containers: <data>/snapshots/<key>/{upper,work} above the layers of the
// layer store (copy: <data>/snapshots/<key>/rootfs), and the chain ids they stand on in
// <data>/snapshots/<key>/layers, lowest first, which the image store's gc keeps.
class Snapshotter {
 public:
  Snapshotter(std::string data_root, SnapshotterKind kind, LayerStore& layers);
  // A writable snapshot `key` above the given layers (lowest first): makes
  // <data>/snapshots/<key>/{upper,work} (copy: a rootfs dir filled from the layers applying
  // whiteouts).
  Status prepare(const std::string& key, const std::vector<Digest>& chain_ids);
  // How to mount it at target. Overlay with more layers than one mount option string holds (100+):
  // mount() uses fsopen/fsconfig "lowerdir+" per layer (kernel >= 6.8), else short symlinks.
  Result<std::vector<Mount>> mounts(const std::string& key, const std::string& target) const;
  Status mount(const std::string& key, const std::string& target) const;  // performs mounts()
  // The same, with the layers idmapped through the user namespace userns_fd (kernel overlay only;
  // the clones are attached under clones_dir while the overlay is made).
  Status mount_idmapped(const std::string& key, const std::string& target, int userns_fd,
                        const std::string& clones_dir) const;
  // The same with other lower dirs (lowest first) in place of the layers', such as copies of them
  // owned by other ids (kernel overlay only).
  Status mount_with_lowers(const std::string& key, const std::string& target,
                           const std::vector<std::string>& lowers) const;
  Status unmount(const std::string& target) const;
  Status remove(const std::string& key);  // never follows symlinks in the snapshot
  std::string upper_path(const std::string& key) const;
  Result<std::vector<std::string>> list() const;

  SnapshotterKind kind() const { return kind_; }
  // The chain ids the snapshot stands on, lowest first.
  Result<std::vector<Digest>> layers(const std::string& key) const;

 private:
  std::string path(const std::string& key) const;

  std::string root_;  // <data>/snapshots
  SnapshotterKind kind_;
  LayerStore& layers_;
};

}  // namespace berth::image
