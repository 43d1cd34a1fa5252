#pragma once

#include <string_view>

namespace berth::monitor {

// The container's output streams, numbered as Docker's attach framing numbers them.
enum class LogStream : unsigned char { stdin_ = 0, stdout_ = 1, stderr_ = 2 };

inline std::string_view stream_name(LogStream s) {
  switch (s) {
    case LogStream::stdin_:
      return "stdin";
    case LogStream::stdout_:
      return "stdout";
    case LogStream::stderr_:
      return "stderr";
  }
  return "stdout";
}

}  // namespace berth::monitor
