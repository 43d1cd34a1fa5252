#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

// The attach socket's framing, both ways. Output frames are Docker's multiplexed stream format
// (one byte stream number, three zero bytes, a big-endian 32-bit length, the payload), so that an
// API server can pass them through; the numbers above 2 are berth's own control frames.
namespace berth::monitor {

enum class FrameType : uint8_t {
  stdin_data = 0,  // client -> monitor
  stdout_data = 1,
  stderr_data = 2,
  exit = 3,         // monitor -> client: the exit code, in decimal
  resize = 4,       // client -> monitor: "rows cols"
  stdin_close = 5,  // client -> monitor
  hello = 6,        // client -> monitor, first frame: what the client wants (see AttachHello)
  error = 7,        // monitor -> client: the container could not start; a message
};

inline constexpr size_t kFrameHeaderSize = 8;
inline constexpr uint32_t kMaxFramePayload = 1 << 20;

struct Frame {
  FrameType type;
  std::string payload;
};

std::string encode_frame(FrameType type, std::string_view payload);

// Accumulates bytes read from a socket and hands out whole frames.
class FrameReader {
 public:
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next whole frame, nullopt when more bytes are needed; an oversized frame is an error.
  Result<std::optional<Frame>> next();

 private:
  std::string buffer_;
};

// What an attaching client asks for: a string of flags in the hello frame, e.g. "stdin,stdout,
// stderr,cleanup". cleanup: the client removes the container's leftovers itself after the exit
// frame reached it, so the monitor need not run its exit command.
struct AttachHello {
  bool stdin_ = false, stdout_ = false, stderr_ = false, cleanup = false;
};
std::string encode_hello(const AttachHello& hello);
AttachHello decode_hello(std::string_view payload);

// Blocking helpers for the client side.
Status write_frame(int fd, FrameType type, std::string_view payload);

}  // namespace berth::monitor
