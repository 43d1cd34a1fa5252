#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

// What an interrupted process leaves in the store (ingest files, temp dirs of unpacks, removals
// and snapshots). Live writers hold a flock on theirs: those are never taken for leftovers.
namespace berth::image::leftovers {

// Temp names in the store start with this; its users lock theirs (below) while they work.
inline constexpr std::string_view kTempPrefix = ".tmp-";

// ".tmp-<tag>-<random>".
std::string temp_name(const std::string& tag);
// A new directory temp_name(tag) in dir_fd, locked for as long as the returned fd lives.
Result<std::pair<std::string, unique_fd>> make_locked_dir(int dir_fd, const std::string& tag,
                                                          const std::string& shown_dir);

// When this process started, in seconds since the epoch.
int64_t process_start_unix();
// Entries of dir whose names start with prefix, not locked, last modified before older_than
// (seconds since the epoch). A missing dir has none.
Result<std::vector<std::string>> find(const std::string& dir, std::string_view prefix,
                                      int64_t older_than);
// Removes one of them unless a process locked it meanwhile; returns the bytes of regular files
// it held.
Result<uint64_t> remove(const std::string& dir, const std::string& name);

}  // namespace berth::image::leftovers
