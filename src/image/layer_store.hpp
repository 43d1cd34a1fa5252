#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "image/content_store.hpp"
#include "image/digest.hpp"
#include "image/unpack.hpp"

namespace berth::image {

// Unpacked layers shared by chain id: <data>/layers/<chain hex>/diff holds one layer's own diff
// (overlay stacks them), <data>/layers/<chain hex>/size its size.
class LayerStore {
 public:
  // Layers are unpacked from the blobs of the content store in <data>/content with opts
  // (whiteout format, ownership); the digests are always checked.
  static Result<LayerStore> open(const std::string& data_root, const UnpackOptions& opts);

  // <data>/layers/<chain hex>/diff; atomic: unpacked into a temp dir in <data>/layers/ and renamed
  // into place; a concurrent unpack of the same chain id by another process is harmless (loser
  // discards). Returns true when it unpacked, false when the layer was there.
  Result<bool> ensure(const Digest& chain_id, const Digest& layer_blob, const Digest& diff_id);
  std::string diff_path(const Digest& chain_id) const;
  bool has(const Digest& chain_id) const;
  Result<uint64_t> size(
      const Digest& chain_id) const;  // bytes of regular files under diff (cached in a file)
  Result<std::vector<Digest>> list() const;
  Status remove(const Digest& chain_id);

  const std::string& root() const { return root_; }  // <data>/layers
  // Temp dirs of unpacks and removals that no live process holds and that are older than
  // older_than (seconds since the epoch): left behind by a crash.
  Result<std::vector<std::string>> leftovers(int64_t older_than) const;
  // Removes one of leftovers(); returns the bytes it held.
  Result<uint64_t> remove_leftover(const std::string& name);

 private:
  LayerStore(std::string root, unique_fd dir, ContentStore content, UnpackOptions opts)
      : root_(std::move(root)), dir_(std::move(dir)), content_(std::move(content)), opts_(opts) {}
  Result<bool> unpack(const Digest& chain_id, const Digest& layer_blob, const Digest& diff_id,
                      int tmp_fd, const std::string& tmp_name);

  std::string root_;
  unique_fd dir_;  // <data>/layers
  ContentStore content_;
  UnpackOptions opts_;
};

}  // namespace berth::image
