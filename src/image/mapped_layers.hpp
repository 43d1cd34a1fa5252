#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "image/digest.hpp"
#include "image/layer_store.hpp"

namespace berth::image {

// Translates an on-disk owner of a layer into the owner its copy gets.
using OwnerMap = std::function<std::pair<uid_t, gid_t>(uid_t, gid_t)>;

// Copies of unpacked layers with their owners put through a map, for kernels or filesystems that
// cannot idmap: <data>/layers-mapped/<map key>/<chain hex>/diff, each made once in a locked temp
// dir renamed into place (a killed copy leaves a temp dir that the next copy in that map removes).
// The copy keeps what overlayfs reads from a lower layer: whiteouts, overlay xattrs, hard links,
// set-id bits, file capabilities (as they are, rootid included), modes and times.
class MappedLayers {
 public:
  MappedLayers(std::string data_root, LayerStore& layers);

  // The copy's diff dir, made now from layers.diff_path(chain) if missing. map_key names the map:
  // [a-z0-9.-]{1,64}, not starting with '.', e.g. "100000-65536"; one key, one map.
  Result<std::string> diff_path(const Digest& chain, const std::string& map_key,
                                const OwnerMap& map);
  // Every copy made with map_key. Waits for copies in progress in it.
  Status remove_map(const std::string& map_key);
  // The copies, in every map, of chains not in keep, and leftovers of killed copies; returns the
  // bytes of regular files removed.
  Result<uint64_t> remove_unreferenced(const std::vector<Digest>& keep);
  // Bytes of regular files in the copies of map_key, each inode once; 0 when there are none.
  Result<uint64_t> disk_usage(const std::string& map_key) const;

  const std::string& root() const { return root_; }  // <data>/layers-mapped

 private:
  Result<std::string> make_copy(const Digest& chain, const std::string& map_key,
                                const OwnerMap& map);

  std::string root_;
  LayerStore& layers_;
};

}  // namespace berth::image
