#pragma once

#include <time.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "engine/log_time.hpp"
#include "monitor/log_stream.hpp"

namespace berth::engine {

// One entry of a json-file log.
struct LogEntry {
  monitor::LogStream stream = monitor::LogStream::stdout_;
  std::string time;  // as written: RFC 3339 with nanoseconds
  std::string text;  // with its newline, when it had one
};

struct LogReadOptions {
  std::optional<size_t> tail;  // the last N of the entries since/until select; all if unset
  std::optional<struct timespec> since;  // entries with time >= since
  // Entries with time < until; reading ends at the first entry at or after it.
  std::optional<struct timespec> until;
  bool follow = false;
  // Following ends once stopped() has returned true and everything written before was read.
  // stopped() is asked after each change of the log, when wake_fd (a pidfd of the monitor, say)
  // becomes readable, and at least once a second.
  std::function<bool()> stopped;
  int wake_fd = -1;
};

using LogCallback = std::function<Status(const LogEntry&)>;

// Reads the json-file log at path and its rotated files path.N (oldest first), calling on_entry
// for each entry selected; returns on_entry's first error. A missing log is an empty one; lines
// that are not entries are skipped. When following, a rotation (path renamed to path.1 and a new
// path) or a truncation (max-file 1) is followed into the new file.
Status read_logs(const std::string& path, const LogReadOptions& options,
                 const LogCallback& on_entry);

// Docker's --tail: a count, or anything else ("all") for every entry.
std::optional<size_t> parse_log_tail(std::string_view value);

}  // namespace berth::engine
