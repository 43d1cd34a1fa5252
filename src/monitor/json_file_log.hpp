#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "monitor/log_stream.hpp"

namespace berth::monitor {

// Docker's json-file --log-opt max-size and max-file.
struct LogRotation {
  uint64_t max_size = 0;  // bytes; 0 = never rotate
  int max_file = 1;       // files kept in all, the current one included
};

// Docker's json-file log options; an option berth does not implement is refused, never ignored.
Result<LogRotation> parse_log_options(const std::map<std::string, std::string>& opts);

// A line longer than this is written in pieces of this size without their newline, as Docker does.
inline constexpr size_t kMaxLogLine = 16 * 1024;

// Writes a container's output as Docker's json-file log driver does: one JSON object a line,
// {"log":"text\n","stream":"stdout","time":"<RFC 3339>"}, each complete line (or 16 KiB piece)
// in one write(2), so readers only ever see whole entries up to the last one written.
class JsonFileLog {
 public:
  // Appends to path (created 0640); rotation.max_size counts the bytes already there.
  static Result<JsonFileLog> open(std::string path, LogRotation rotation);

  // Logs bytes read from the stream; a line not yet ended is held until more data or flush().
  Status write(LogStream stream, std::string_view bytes);
  // Writes what is held for the stream as it is (at the stream's end of file).
  Status flush(LogStream stream);
  Status flush();  // both streams

  const std::string& path() const { return path_; }

 private:
  JsonFileLog(std::string path, LogRotation rotation, unique_fd fd, uint64_t size)
      : path_(std::move(path)), rotation_(rotation), fd_(std::move(fd)), size_(size) {}

  // Appends one entry to batch, writing out batch and rotating first when the entry would make
  // the file exceed max_size.
  Status add_entry(std::string& batch, LogStream stream, std::string_view text);
  Status write_batch(std::string& batch);
  Status rotate();

  std::string path_;
  LogRotation rotation_;
  unique_fd fd_;
  uint64_t size_ = 0;                // of the current file, batch not included
  std::array<std::string, 3> held_;  // per stream: the start of a line not yet ended
};

// The JSON string literal Docker's json-file writes for text: \n, \r, \", \\ and \u00XX for
// other control characters and < > &, \u2028 \u2029, and \ufffd for each byte of invalid UTF-8.
void append_json_log_string(std::string& out, std::string_view text);

}  // namespace berth::monitor
