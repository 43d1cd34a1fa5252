#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "image/entry_metadata.hpp"
#include "image/unpack.hpp"

struct archive;
struct archive_entry;

namespace berth::image {

// Writes the entries of one layer under a root fd, each resolved inside that root.
class LayerWriter {
 public:
  LayerWriter(int root_fd, const UnpackOptions& opts) : root_fd_(root_fd), opts_(opts) {}

  // Writes one entry, its content read from reader; adds the content's size to bytes.
  Status write(archive* reader, archive_entry* entry, uint64_t& bytes);
  // Sets directories' modes and times, deferred so that their content could be written first.
  Status finish();

 private:
  struct DeferredDir {
    std::string path;
    EntryMetadata meta;
  };

  Status write_entry(archive* reader, archive_entry* entry, const std::string& name,
                     uint64_t& bytes);
  Result<int> parent_dir(const std::string& path);
  void forget_parent() { cached_parent_.reset(); }
  Status write_regular(archive* reader, archive_entry* entry, int dir_fd, const std::string& name,
                       uint64_t& bytes);
  Status write_directory(int dir_fd, const std::string& name, const std::string& path,
                         const EntryMetadata& meta);
  Status write_symlink(archive_entry* entry, int dir_fd, const std::string& name);
  Status write_node(archive_entry* entry, int dir_fd, const std::string& name);
  Status write_hardlink(const std::string& target, int dir_fd, const std::string& name,
                        const std::string& path);
  Status create(int dir_fd, const std::string& name, const std::string& what,
                const std::function<int()>& make);
  void defer_dir(const std::string& path, const EntryMetadata& meta);

  int root_fd_;
  UnpackOptions opts_;
  std::string cached_parent_path_;
  unique_fd cached_parent_;
  std::vector<DeferredDir> dirs_;
  std::unordered_map<std::string, size_t> dir_index_;
};

}  // namespace berth::image
