#include <unistd.h>

#include <cstdio>

#include "base/syscalls.hpp"
#include "base/unique_fd.hpp"
#include "cli/berth/commands.hpp"
#include "engine/container_state.hpp"
#include "engine/log_reader.hpp"

namespace berth::cli {
namespace {

struct LogsFlags {
  std::string container;
  bool follow = false, timestamps = false, details = false;
  std::string tail = "all", since, until;
};

Result<int> run_logs(Context& ctx, const LogsFlags& f) {
  engine::ContainerService* service = BERTH_TRY(ctx.containers());
  auto r = BERTH_TRY(service->get(f.container));
  auto log_config = r.host_config.value("LogConfig", nlohmann::json::object());
  std::string driver = log_config.value("Type", "json-file");
  if (driver == "none") return fail_msg("configured logging driver does not support reading");

  engine::LogReadOptions options;
  options.tail = engine::parse_log_tail(f.tail);
  if (!f.since.empty()) options.since = BERTH_TRY(engine::parse_log_time("since", f.since));
  if (!f.until.empty()) options.until = BERTH_TRY(engine::parse_log_time("until", f.until));
  unique_fd monitor;
  if (f.follow && engine::is_active(r.state)) {
    options.follow = true;
    monitor = unique_fd(BERTH_TRY(service->monitor_pidfd(r)));
    options.wake_fd = monitor.get();
    std::string id = r.id;
    options.stopped = [service, id] {
      auto now = service->get(id);
      return !now || !engine::is_active(now->state);
    };
  }
  auto status = engine::read_logs(
      service->paths_of(r.id).log_path, options, [&](const engine::LogEntry& e) -> Status {
        std::string line = f.timestamps ? e.time + " " + e.text : e.text;
        int fd = e.stream == monitor::LogStream::stderr_ ? STDERR_FILENO : STDOUT_FILENO;
        return sys::write_all(fd, line);
      });
  // A reader that went away (| head) is not an error.
  if (!status && status.error().errno_value != EPIPE) return fail(status.error());
  return 0;
}

}  // namespace

void add_container_logs_command(CLI::App& top, CLI::App& container, Action& action) {
  for (CLI::App* parent : {&top, &container}) {
    auto f = std::make_shared<LogsFlags>();
    CLI::App* cmd = parent->add_subcommand("logs", "the output of a container");
    cmd->add_option("CONTAINER", f->container, "container")->required();
    cmd->add_flag("-f,--follow", f->follow, "keep printing what comes");
    cmd->add_flag("-t,--timestamps", f->timestamps, "prefix each line with its time");
    cmd->add_flag("--details", f->details, "extra attributes (none are recorded)");
    cmd->add_option("-n,--tail", f->tail, "lines from the end (default all)");
    cmd->add_option("--since", f->since, "from a time (RFC 3339, Unix time, or 10m ago)");
    cmd->add_option("--until", f->until, "up to a time (RFC 3339, Unix time, or 10m ago)");
    cmd->callback([f, &action] { action = [f](Context& c) { return run_logs(c, *f); }; });
  }
}

}  // namespace berth::cli
