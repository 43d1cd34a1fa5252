#include <cstdio>
#include <thread>

#include "cli/berth/commands.hpp"
#include "cli/berth/go_template.hpp"
#include "cli/berth/human_units.hpp"
#include "cli/berth/table.hpp"
#include "engine/container_state.hpp"
#include "engine/container_stats.hpp"
#include "runtime/state.hpp"

namespace berth::cli {
namespace {

using json = nlohmann::json;

struct StatsFlags {
  std::vector<std::string> names;
  bool all = false, no_stream = false, no_trunc = false;
  std::string format;
};

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f%%", v);
  return buf;
}

const json& headers() {
  static const json h = {
      {"ID", "CONTAINER ID"}, {"Container", "CONTAINER"},        {"Name", "NAME"},
      {"CPUPerc", "CPU %"},   {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"},
      {"NetIO", "NET I/O"},   {"BlockIO", "BLOCK I/O"},          {"PIDs", "PIDS"}};
  return h;
}

// Two readings a short while apart, as the CPU column is a rate.
Result<json> row_of(engine::ContainerService& service, const engine::ContainerRecord& r,
                    bool no_trunc) {
  json row = {{"ID", no_trunc ? r.id : r.id.substr(0, 12)},
              {"Container", r.name},
              {"Name", r.name},
              {"CPUPerc", "0.00%"},
              {"MemUsage", "0B / 0B"},
              {"MemPerc", "0.00%"},
              {"NetIO", "0B / 0B"},
              {"BlockIO", "0B / 0B"},
              {"PIDs", "0"}};
  if (!engine::is_running(r.state)) return row;
  auto state = BERTH_TRY(runtime::load_state(service.runtime_options().root, r.id));
  pid_t pid = engine::pid_of(r.state);
  auto t0 = std::chrono::steady_clock::now();
  auto first = BERTH_TRY(engine::read_container_stats(state.cgroup_paths, pid));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto s = BERTH_TRY(engine::read_container_stats(state.cgroup_paths, pid));
  double wall =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  double cpu = s.cpu_ns >= first.cpu_ns ? static_cast<double>(s.cpu_ns - first.cpu_ns) : 0;
  row["CPUPerc"] = percent(wall > 0 ? cpu / wall * 100.0 : 0);
  row["MemUsage"] = human_binary_size(s.memory_usage) + " / " + human_binary_size(s.memory_limit);
  row["MemPerc"] = percent(s.memory_limit ? 100.0 * static_cast<double>(s.memory_usage) /
                                                static_cast<double>(s.memory_limit)
                                          : 0);
  row["NetIO"] = human_size(s.net_rx) + " / " + human_size(s.net_tx);
  row["BlockIO"] = human_size(s.block_read) + " / " + human_size(s.block_write);
  row["PIDs"] = std::to_string(s.pids);
  return row;
}

Result<int> run_stats(Context& ctx, const StatsFlags& f) {
  if (!f.no_stream)
    return fail_msg("stats: only --no-stream is supported; a live view is not implemented yet");
  engine::ContainerService* service = BERTH_TRY(ctx.containers());
  std::vector<engine::ContainerRecord> records;
  if (f.names.empty()) {
    for (auto& r : BERTH_TRY(service->list()))
      if (f.all || engine::is_running(r.state)) records.push_back(std::move(r));
  } else {
    for (const auto& n : f.names) records.push_back(BERTH_TRY(service->get(n)));
  }
  std::string format = unescape_format(f.format);
  if (format.empty())
    format =
        "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t"
        "{{.BlockIO}}\t{{.PIDs}}";
  TableFormat tf = split_table_format(format);
  GoTemplate row_template = BERTH_TRY(GoTemplate::parse(tf.row));
  std::vector<std::string> lines;
  if (tf.table) lines.push_back(BERTH_TRY(row_template.render(headers())));
  for (const auto& r : records)
    lines.push_back(BERTH_TRY(row_template.render(BERTH_TRY(row_of(*service, r, f.no_trunc)))));
  print_lines(tf.table, lines);
  return 0;
}

}  // namespace

void add_container_stats_command(CLI::App& top, CLI::App& container, Action& action) {
  for (CLI::App* parent : {&top, &container}) {
    auto f = std::make_shared<StatsFlags>();
    CLI::App* cmd = parent->add_subcommand("stats", "resource usage of containers");
    cmd->add_option("CONTAINER", f->names, "containers (default: the running ones)");
    cmd->add_flag("-a,--all", f->all, "all containers, not only running ones");
    cmd->add_flag("--no-stream", f->no_stream, "one reading, then exit");
    cmd->add_flag("--no-trunc", f->no_trunc, "full ids");
    cmd->add_option("--format", f->format, "Go template, or table TEMPLATE");
    cmd->callback([f, &action] { action = [f](Context& c) { return run_stats(c, *f); }; });
  }
}

}  // namespace berth::cli
