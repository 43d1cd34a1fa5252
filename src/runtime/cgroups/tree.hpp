#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/error.hpp"

// Directory-level helpers shared by the cgroup backends.
namespace berth::runtime::cgroups {

// mkdir -p that reports which directories it made, outermost first.
Status make_dirs(const std::string& dir, std::vector<std::string>* created);
// cgroup.procs of dir and every descendant.
Result<std::vector<pid_t>> procs_recursive(const std::string& dir);
// rmdir of dir and its descendants (deepest first); a missing dir is fine; EBUSY is retried for
// a short while, as exiting processes take a moment to leave.
Status remove_tree(const std::string& dir);
// Calls done() with a growing pause between calls until it says true or the time is up; returns
// whether it said true.
Result<bool> poll_until(const std::function<Result<bool>()>& done,
                        std::chrono::milliseconds timeout);
// The failures that mean "not ours to change" (rootless without delegation).
bool is_permission_errno(int errno_value);
// A cgroup file's content without the trailing newline.
Result<std::string> read_value(const std::string& path);

}  // namespace berth::runtime::cgroups
