#include "monitor/json_file_log.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cmath>

#include "base/clock.hpp"
#include "base/syscalls.hpp"

namespace berth::monitor {

namespace {

constexpr size_t kBatchLimit = 64 * 1024;

std::string opt_error(const std::string& key, const std::string& what) {
  return "log opt '" + key + "' for json-file log driver: " + what;
}

// Docker's sizes (go-units RAMInBytes): "100", "100b", "10k", "10m", "1.5g", "1 GiB"; binary
// multiples, case-insensitive.
Result<uint64_t> parse_size(const std::string& value) {
  auto bad = [&] { return fail_msg(opt_error("max-size", "invalid size: '" + value + "'")); };
  size_t i = 0;
  while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i;
  if (i == 0) return bad();
  if (i < value.size() && value[i] == '.') {
    size_t frac = ++i;
    while (i < value.size() && value[i] >= '0' && value[i] <= '9') ++i;
    if (i == frac) return bad();
  }
  std::string number = value.substr(0, i);
  if (i < value.size() && value[i] == ' ') ++i;
  double multiplier = 1;
  if (i < value.size()) {
    switch (value[i] | 0x20) {
      case 'k':
        multiplier = 1024.0;
        break;
      case 'm':
        multiplier = 1024.0 * 1024;
        break;
      case 'g':
        multiplier = 1024.0 * 1024 * 1024;
        break;
      case 't':
        multiplier = 1024.0 * 1024 * 1024 * 1024;
        break;
      case 'p':
        multiplier = 1024.0 * 1024 * 1024 * 1024 * 1024;
        break;
      default:
        multiplier = 0;
    }
    if (multiplier != 0) ++i;
    multiplier = multiplier == 0 ? 1 : multiplier;
  }
  if (i < value.size() && (value[i] | 0x20) == 'i') ++i;
  if (i < value.size() && (value[i] | 0x20) == 'b') ++i;
  if (i != value.size()) return bad();
  double bytes = std::floor(std::strtod(number.c_str(), nullptr) * multiplier);
  if (!(bytes < 9.2e18)) return bad();
  return static_cast<uint64_t>(bytes);
}

Result<bool> parse_bool(const std::string& key, const std::string& value) {
  for (const char* t : {"1", "t", "T", "true", "TRUE", "True"})
    if (value == t) return true;
  for (const char* f : {"0", "f", "F", "false", "FALSE", "False"})
    if (value == f) return false;
  return fail_msg(opt_error(key, "invalid boolean " + quote(value)));
}

// The length of the valid UTF-8 sequence at the start of s, or 0 when it is not one (Go's
// utf8.DecodeRune rules: no overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i, unsigned lo, unsigned hi) {
    return i < s.size() && b(i) >= lo && b(i) <= hi;
  };
  unsigned c = b(0);
  if (c >= 0xc2 && c <= 0xdf) return cont(1, 0x80, 0xbf) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2, 0x80, 0xbf) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) ? 4 : 0;
  }
  return 0;
}

}  // namespace

void append_json_log_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t start = 0;
  auto copy_pending = [&](size_t i) { out.append(text.substr(start, i - start)); };
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c >= 0x20 && c != '\\' && c != '"' && c != '<' && c != '>' && c != '&') {
        ++i;
        continue;
      }
      copy_pending(i);
      if (c == '\\' || c == '"') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      }
      start = ++i;
      continue;
    }
    size_t n = utf8_sequence(text.substr(i));
    if (n == 0) {
      copy_pending(i);
      out += "\\ufffd";
      start = ++i;
      continue;
    }
    // U+2028 and U+2029 end lines in JavaScript.
    if (n == 3 && c == 0xe2 && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(text[i + 2]) & 0xfe) == 0xa8) {
      copy_pending(i);
      out += "\\u202";
      out += kHex[static_cast<unsigned char>(text[i + 2]) & 0xf];
      start = i + 3;
    }
    i += n;
  }
  copy_pending(text.size());
  out += '"';
}

Result<LogRotation> parse_log_options(const std::map<std::string, std::string>& opts) {
  LogRotation r;
  bool have_size = false;
  for (const auto& [key, value] : opts) {
    if (key == "max-size") {
      r.max_size = BERTH_TRY(parse_size(value));
      if (r.max_size == 0) return fail_msg(opt_error(key, "max-size must be a positive number"));
      have_size = true;
    } else if (key == "max-file") {
      int n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size())
        return fail_msg(opt_error(key, "invalid number " + quote(value)));
      if (n < 1) return fail_msg(opt_error(key, "max-file cannot be less than 1"));
      r.max_file = n;
    } else if (key == "compress") {
      if (BERTH_TRY(parse_bool(key, value)))
        return fail_msg(opt_error(key, "compression of rotated log files is not supported"));
    } else if (key == "labels" || key == "labels-regex" || key == "env" || key == "env-regex" ||
               key == "tag") {
      return fail_msg(opt_error(key, "not supported"));
    } else {
      return fail_msg("unknown log opt '" + key + "' for json-file log driver");
    }
  }
  if (r.max_file > 1 && !have_size)
    return fail_msg(opt_error("max-file", "max-file cannot be set without max-size"));
  return r;
}

Result<JsonFileLog> JsonFileLog::open(std::string path, LogRotation rotation) {
  auto fd = sys::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (!fd) return fail(fd.error());
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return fail_sys("stat " + quote(path));
  if (rotation.max_file < 1) rotation.max_file = 1;
  return JsonFileLog(std::move(path), rotation, std::move(*fd), static_cast<uint64_t>(st.st_size));
}

Status JsonFileLog::write(LogStream stream, std::string_view bytes) {
  std::string batch;
  std::string& held = held_[static_cast<size_t>(stream) % held_.size()];
  while (!bytes.empty()) {
    size_t newline = bytes.find('\n');
    size_t content = newline == std::string_view::npos ? bytes.size() : newline;
    size_t room = kMaxLogLine - held.size();
    if (content > room) {
      held.append(bytes.substr(0, room));
      bytes.remove_prefix(room);
      BERTH_CHECK(add_entry(batch, stream, held));
      held.clear();
      continue;
    }
    if (newline == std::string_view::npos) {
      held.append(bytes);
      break;
    }
    if (held.empty()) {
      BERTH_CHECK(add_entry(batch, stream, bytes.substr(0, newline + 1)));
    } else {
      held.append(bytes.substr(0, newline + 1));
      BERTH_CHECK(add_entry(batch, stream, held));
      held.clear();
    }
    bytes.remove_prefix(newline + 1);
  }
  return write_batch(batch);
}

Status JsonFileLog::flush(LogStream stream) {
  std::string& held = held_[static_cast<size_t>(stream) % held_.size()];
  if (held.empty()) return {};
  std::string batch;
  BERTH_CHECK(add_entry(batch, stream, held));
  held.clear();
  held.shrink_to_fit();
  return write_batch(batch);
}

Status JsonFileLog::flush() {
  BERTH_CHECK(flush(LogStream::stdout_));
  return flush(LogStream::stderr_);
}

Status JsonFileLog::add_entry(std::string& batch, LogStream stream, std::string_view text) {
  size_t mark = batch.size();
  batch += "{\"log\":";
  append_json_log_string(batch, text);
  batch += ",\"stream\":\"";
  batch += stream_name(stream);
  batch += "\",\"time\":\"";
  batch += rfc3339_now();
  batch += "\"}\n";
  if (rotation_.max_size > 0 && size_ + batch.size() > rotation_.max_size && size_ + mark > 0) {
    std::string entry = batch.substr(mark);
    batch.resize(mark);
    BERTH_CHECK(write_batch(batch));
    BERTH_CHECK(rotate());
    batch = std::move(entry);
  }
  if (batch.size() >= kBatchLimit) return write_batch(batch);
  return {};
}

Status JsonFileLog::write_batch(std::string& batch) {
  if (batch.empty()) return {};
  auto written = sys::write_all(fd_.get(), batch);
  if (!written) return fail(sys_error(written.error().errno_value, "write " + quote(path_)));
  size_ += batch.size();
  batch.clear();
  return {};
}

Status JsonFileLog::rotate() {
  if (rotation_.max_file <= 1) {
    if (::ftruncate(fd_.get(), 0) != 0) return fail_sys("truncate " + quote(path_));
    size_ = 0;
    return {};
  }
  for (int n = rotation_.max_file - 1; n >= 1; --n) {
    std::string from = n == 1 ? path_ : path_ + "." + std::to_string(n - 1);
    std::string to = path_ + "." + std::to_string(n);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
      return fail_sys("rename " + quote(from) + " to " + quote(to));
  }
  auto fd = sys::open(path_, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (!fd) return fail(fd.error());
  fd_ = std::move(*fd);
  size_ = 0;
  return {};
}

}  // namespace berth::monitor
