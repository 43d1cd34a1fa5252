#pragma once

#include <string>

#include "base/error.hpp"

// docker cp's path rules (moby's pkg/archive CopyInfo and PrepareArchiveCopy), on path strings
// only.
namespace berth::engine::copy_paths {

// Lexically cleaned as Go's filepath.Clean does: "" and "." components dropped, ".." applied,
// "/.." is "/", an empty result is ".".
std::string clean(const std::string& path);
// clean(path), keeping a trailing "/." or "/" that path had: both say "a directory".
std::string clean_keep_trailing(const std::string& path);
// path as an absolute path in a container (relative ones are relative to its /), cleaned with
// its trailing "/." or "/" kept.
std::string container_abs(const std::string& path);
// Ends with "/" or its last component is ".".
bool asserts_directory(const std::string& path);
// Go's filepath.Base and filepath.Dir.
std::string base(const std::string& path);
std::string dir(const std::string& path);

// SplitPathDirEntry: the directory and the entry in it that path names; "x/." gives "x" and ".".
struct DirEntry {
  std::string dir;
  std::string base;
};
DirEntry split_dir_entry(const std::string& path);

// What is known of a copy's source or destination.
struct CopyInfo {
  std::string path;
  bool exists = false;
  bool is_dir = false;
  std::string rebase_name;  // the name the source's top entry has in its tar, when not its base
};

// Where a tar of src (its top entry named src.rebase_name or the base of src.path) is extracted,
// and how its first component is renamed on the way.
struct CopyPlan {
  std::string dst_dir;
  std::string rebase_from;  // "" when nothing is renamed
  std::string rebase_to;
};
// PrepareArchiveCopy: fails with docker's "cannot copy directory" (directory onto an existing
// file) and "no such directory" (a file onto a missing DST ending in "/").
Result<CopyPlan> plan_copy(const CopyInfo& src, const CopyInfo& dst);

}  // namespace berth::engine::copy_paths
