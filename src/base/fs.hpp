#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace berth::fs {

Result<std::string> read_file(const std::string& path);
Result<std::string> read_fd(int fd);
// Writes to an existing file (proc and cgroup files): one write call, as the kernel wants.
Status write_file(const std::string& path, const std::string& data);
// Writes through a temp file and rename, so readers see the old or the new file whole.
Status write_file_atomic(const std::string& path, const std::string& data, mode_t mode);
Status mkdir_p(const std::string& path, mode_t mode);
// Removes a tree without following symlinks (a directory its owner may not read is made 0700
// first); a missing path is not an error.
Status remove_all(const std::string& path);
// The same for name relative to an open directory.
// shown: the path errors name (default: name).
Status remove_all_at(int dir_fd, const std::string& name, const std::string& shown = "");
bool exists(const std::string& path);
std::string dirname(const std::string& path);
std::string basename(const std::string& path);
// The number after `key` in a file of "key value" lines (memory.stat, memory.events, cpu.stat,
// /proc/meminfo with "MemTotal:"); 0 when the file or the key is missing.
uint64_t keyed_number(const std::string& path, const std::string& key);
// Joins for paths on the host that we own (state dirs), never for paths under a container root.
std::string join(const std::string& a, const std::string& b);

// The names in the directory dir_fd (without "." and ".."), sorted; read through a descriptor of
// its own, so that the caller's position is not shared. shown names it in errors.
Result<std::vector<std::string>> names_at(int dir_fd, const std::string& shown);

}  // namespace berth::fs
