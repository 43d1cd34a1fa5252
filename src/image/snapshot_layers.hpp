#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "image/digest.hpp"

// The chain ids a snapshot stands on, in <data>/snapshots/<key>/layers (one digest a line, lowest
// first): the snapshotter writes them, the image store's gc keeps those layers.
namespace berth::image::snapshot_layers {

Status write(int snapshot_dir_fd, const std::vector<Digest>& chain_ids, const std::string& shown);
Result<std::vector<Digest>> read(int snapshot_dir_fd, const std::string& shown);
// The chain ids of every snapshot under <data>/snapshots, as digest strings.
Result<std::set<std::string>> all(const std::string& data_root);

}  // namespace berth::image::snapshot_layers
