#pragma once
// TEMPORARY stand-in until helper-logs lands.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "monitor/log_stream.hpp"

namespace berth::monitor {
struct LogRotation {
  uint64_t max_size = 0;
  int max_file = 1;
};
Result<LogRotation> parse_log_options(const std::map<std::string, std::string>& opts);
class JsonFileLog {
 public:
  static Result<JsonFileLog> open(std::string path, LogRotation rotation);
  Status write(LogStream stream, std::string_view bytes);
  Status flush();

 private:
  std::string path_;
  unique_fd fd_;
};
}  // namespace berth::monitor
