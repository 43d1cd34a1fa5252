#include "monitor/attach_frame.hpp"

#include "base/strings.hpp"
#include "base/syscalls.hpp"

namespace berth::monitor {

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string out(kFrameHeaderSize, '\0');
  out[0] = static_cast<char>(type);
  auto n = static_cast<uint32_t>(payload.size());
  out[4] = static_cast<char>(n >> 24);
  out[5] = static_cast<char>(n >> 16);
  out[6] = static_cast<char>(n >> 8);
  out[7] = static_cast<char>(n);
  out.append(payload);
  return out;
}

Result<std::optional<Frame>> FrameReader::next() {
  if (buffer_.size() < kFrameHeaderSize) return std::nullopt;
  auto byte = [&](size_t i) {
    return static_cast<uint32_t>(static_cast<unsigned char>(buffer_[i]));
  };
  uint32_t n = byte(4) << 24 | byte(5) << 16 | byte(6) << 8 | byte(7);
  if (n > kMaxFramePayload)
    return fail_msg("attach stream: frame of " + std::to_string(n) + " bytes is too large");
  if (buffer_.size() < kFrameHeaderSize + n) return std::nullopt;
  Frame f{static_cast<FrameType>(buffer_[0]), buffer_.substr(kFrameHeaderSize, n)};
  buffer_.erase(0, kFrameHeaderSize + n);
  return f;
}

std::string encode_hello(const AttachHello& h) {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ',';
    s += name;
  };
  add(h.stdin_, "stdin");
  add(h.stdout_, "stdout");
  add(h.stderr_, "stderr");
  add(h.cleanup, "cleanup");
  return s;
}

AttachHello decode_hello(std::string_view payload) {
  AttachHello h;
  for (const auto& flag : split(payload, ',')) {
    if (flag == "stdin") h.stdin_ = true;
    if (flag == "stdout") h.stdout_ = true;
    if (flag == "stderr") h.stderr_ = true;
    if (flag == "cleanup") h.cleanup = true;
  }
  return h;
}

Status write_frame(int fd, FrameType type, std::string_view payload) {
  return sys::write_all(fd, encode_frame(type, payload));
}

}  // namespace berth::monitor
