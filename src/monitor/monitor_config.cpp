#include "monitor/monitor_config.hpp"

#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "base/json_reader.hpp"

namespace berth::monitor {

Status write_monitor_config(const std::string& path, const MonitorConfig& c) {
  nlohmann::json j = {
      {"id", c.id},
      {"runtime_root", c.runtime_root},
      {"bundle", c.bundle},
      {"rootless", c.rootless},
      {"systemd_cgroup", c.systemd_cgroup},
      {"open_stdin", c.open_stdin},
      {"stdin_once", c.stdin_once},
      {"tty", c.tty},
      {"attach_wait", c.attach_wait},
      {"log_path", c.log_path},
      {"log_max_size", c.log_max_size},
      {"log_max_file", c.log_max_file},
      {"restart", {{"name", c.restart.name}, {"max_retries", c.restart.max_retries}}},
      {"exit_command", c.exit_command},
  };
  return fs::write_file_atomic(path, j.dump(), 0600);
}

Result<MonitorConfig> read_monitor_config(const std::string& path) {
  auto text = BERTH_TRY(fs::read_file(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail_msg(path + ": not valid JSON");
  JsonReader r(j, path);
  BERTH_CHECK(r.expect_object());
  MonitorConfig c;
  c.id = BERTH_TRY(r.required_string("id"));
  c.runtime_root = BERTH_TRY(r.required_string("runtime_root"));
  c.bundle = BERTH_TRY(r.required_string("bundle"));
  c.rootless = BERTH_TRY(r.boolean("rootless"));
  c.systemd_cgroup = BERTH_TRY(r.boolean("systemd_cgroup"));
  c.open_stdin = BERTH_TRY(r.boolean("open_stdin"));
  c.stdin_once = BERTH_TRY(r.boolean("stdin_once"));
  c.tty = BERTH_TRY(r.boolean("tty"));
  c.attach_wait = BERTH_TRY(r.boolean("attach_wait"));
  c.log_path = BERTH_TRY(r.string("log_path"));
  c.log_max_size = BERTH_TRY(r.optional_uint("log_max_size")).value_or(0);
  c.log_max_file = static_cast<int>(BERTH_TRY(r.optional_int("log_max_file")).value_or(1));
  if (auto restart = r.optional_object("restart")) {
    c.restart.name = BERTH_TRY(restart->string("name", "no"));
    c.restart.max_retries =
        static_cast<int>(BERTH_TRY(restart->optional_int("max_retries")).value_or(0));
  }
  c.exit_command = BERTH_TRY(r.strings("exit_command"));
  return c;
}

}  // namespace berth::monitor
