#include "monitor/exit_record.hpp"

#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "base/json_reader.hpp"

namespace berth::monitor {

Status write_exit_record(const std::string& path, const ExitRecord& r) {
  nlohmann::json j = {{"ExitCode", r.exit_code},         {"OOMKilled", r.oom_killed},
                      {"StartedAt", r.started_at},       {"FinishedAt", r.finished_at},
                      {"RestartCount", r.restart_count}, {"Error", r.error},
                      {"Restarting", r.restarting}};
  return fs::write_file_atomic(path, j.dump() + "\n", 0600);
}

Result<ExitRecord> read_exit_record(const std::string& path) {
  auto text = BERTH_TRY(fs::read_file(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail_msg(path + ": not valid JSON");
  JsonReader r(j, path);
  BERTH_CHECK(r.expect_object());
  ExitRecord e;
  e.exit_code = static_cast<int>(BERTH_TRY(r.optional_int("ExitCode")).value_or(0));
  e.oom_killed = BERTH_TRY(r.boolean("OOMKilled"));
  e.started_at = BERTH_TRY(r.string("StartedAt"));
  e.finished_at = BERTH_TRY(r.string("FinishedAt"));
  e.restart_count = static_cast<int>(BERTH_TRY(r.optional_int("RestartCount")).value_or(0));
  e.error = BERTH_TRY(r.string("Error"));
  e.restarting = BERTH_TRY(r.boolean("Restarting"));
  return e;
}

}  // namespace berth::monitor
