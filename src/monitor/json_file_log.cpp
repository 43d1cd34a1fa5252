#include "monitor/json_file_log.hpp"

#include <fcntl.h>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/syscalls.hpp"

namespace berth::monitor {
Result<LogRotation> parse_log_options(const std::map<std::string, std::string>&) { return LogRotation{}; }
Result<JsonFileLog> JsonFileLog::open(std::string path, LogRotation) {
  JsonFileLog l;
  l.fd_ = BERTH_TRY(sys::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  l.path_ = std::move(path);
  return l;
}
Status JsonFileLog::write(LogStream stream, std::string_view bytes) {
  nlohmann::json j = {{"log", std::string(bytes)},
                      {"stream", std::string(stream_name(stream))},
                      {"time", rfc3339_now()}};
  return sys::write_all(fd_.get(),
                        j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}
Status JsonFileLog::flush() {
  return {};
}
}  // namespace berth::monitor
