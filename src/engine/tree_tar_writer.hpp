#pragma once

#include <sys/types.h>

#include <map>
#include <set>
#include <string>
#include <utility>

#include "base/error.hpp"
#include "engine/owner_translation.hpp"
#include "image/archive_io.hpp"

namespace berth::engine {

// Which directories a walk writes without their content.
struct TreeWalk {
  bool one_file_system = false;  // stop at directories on another device than top_dev
  dev_t top_dev = 0;
  std::set<std::string> skip_contents;  // tar names (without a trailing slash)
  OwnerTranslation owner;               // the owner written for the one found
};

// Writes directory trees to a tar as they are on disk: each object is opened by one name in its
// parent's fd, never through a symlink, so a walk cannot leave the tree it started in.
class TreeTarWriter {
 public:
  static Result<TreeTarWriter> open(int out_fd);

  // Writes name in parent_fd (a directory fd, O_PATH is enough) as tar_name, and what is under it
  // when it is a directory.
  Status add(int parent_fd, const std::string& name, const std::string& tar_name,
             const TreeWalk& walk = {});
  // Writes what is in dir_fd, each entry under prefix ("" or "."); with prefix "." the directory
  // itself comes first as "./".
  Status add_contents(int dir_fd, const std::string& prefix, const TreeWalk& walk = {});
  Status close();

 private:
  explicit TreeTarWriter(image::ArchiveWritePtr a) : a_(std::move(a)) {}
  Status write_children(int dir_fd, const std::string& tar_name, const TreeWalk& walk);
  Status write_data(int fd, const std::string& tar_name, int64_t size);

  image::ArchiveWritePtr a_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first name of each multi-link inode
};

}  // namespace berth::engine
