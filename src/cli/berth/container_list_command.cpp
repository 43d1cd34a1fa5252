#include <fnmatch.h>

#include <cstdio>
#include <ctime>

#include "base/strings.hpp"
#include "cli/berth/commands.hpp"
#include "cli/berth/filter_args.hpp"
#include "cli/berth/go_template.hpp"
#include "cli/berth/human_units.hpp"
#include "cli/berth/table.hpp"
#include "engine/container_state.hpp"
#include "engine/spec_process.hpp"

namespace berth::cli {
namespace {

using json = nlohmann::json;

struct PsFlags {
  bool all = false, quiet = false, no_trunc = false, latest = false, size = false;
  int last = -1;
  std::vector<std::string> filters;
  std::string format;
};

int64_t unix_of(const std::string& time) {
  return parse_rfc3339(time).value_or(0);
}

// Docker's STATUS column.
std::string status_text(const json& state) {
  auto now = std::time(nullptr);
  std::string status = engine::status_of(state);
  auto since = [&](const char* key) {
    return human_duration(now - unix_of(state.value(key, std::string())));
  };
  if (status == "running") return "Up " + since("StartedAt");
  if (status == "paused") return "Up " + since("StartedAt") + " (Paused)";
  if (status == "restarting")
    return "Restarting (" + std::to_string(engine::exit_code_of(state)) + ") " +
           since("FinishedAt") + " ago";
  if (status == "exited")
    return "Exited (" + std::to_string(engine::exit_code_of(state)) + ") " + since("FinishedAt") +
           " ago";
  return "Created";
}

std::string labels_text(const json& labels) {
  std::vector<std::string> parts;
  if (labels.is_object())
    for (auto& [k, v] : labels.items()) parts.push_back(k + "=" + v.get<std::string>());
  return join(parts, ",");
}

json row_json(const engine::ContainerRecord& r, bool no_trunc) {
  auto config = engine::container_config_from_json(r.config);
  std::string command =
      config ? join(engine::container_args(*config).value_or(std::vector<std::string>{}), " ") : "";
  if (!no_trunc && command.size() > 20) command = command.substr(0, 19) + "…";
  int64_t created = unix_of(r.created);
  return {{"ID", no_trunc ? r.id : r.id.substr(0, 12)},
          {"Image", r.image},
          {"Command", "\"" + command + "\""},
          {"CreatedAt", go_time(created)},
          {"RunningFor", human_duration(std::time(nullptr) - created) + " ago"},
          {"Ports", ""},
          {"Status", status_text(r.state)},
          {"State", engine::status_of(r.state)},
          {"Size", "0B"},
          {"Names", r.name},
          {"Labels", labels_text(r.config.value("Labels", json::object()))},
          {"Mounts", ""},
          {"Networks", r.host_config.value("NetworkMode", "")}};
}

const json& headers() {
  static const json h = {
      {"ID", "CONTAINER ID"},      {"Image", "IMAGE"},        {"Command", "COMMAND"},
      {"CreatedAt", "CREATED AT"}, {"RunningFor", "CREATED"}, {"Ports", "PORTS"},
      {"Status", "STATUS"},        {"State", "STATE"},        {"Size", "SIZE"},
      {"Names", "NAMES"},          {"Labels", "LABELS"},      {"Mounts", "MOUNTS"},
      {"Networks", "NETWORKS"}};
  return h;
}

bool glob(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

// Docker's filters: several values of one key are alternatives, different keys must all match.
Result<bool> matches(const std::vector<std::string>& filters, const engine::ContainerRecord& r,
                     engine::ContainerService& service) {
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& item : filters) {
    auto [key, value] = BERTH_TRY(split_filter(item));
    by_key[key].push_back(value);
  }
  for (const auto& [key, values] : by_key) {
    bool any = false;
    for (const auto& v : values) {
      if (key == "id") {
        any = any || r.id.starts_with(v);
      } else if (key == "name") {
        any = any || r.name.find(v) != std::string::npos || glob(v, r.name);
      } else if (key == "status") {
        static const std::vector<std::string> valid = {
            "created", "restarting", "running", "removing", "paused", "exited", "dead"};
        if (std::find(valid.begin(), valid.end(), v) == valid.end())
          return fail_msg("invalid filter 'status=" + v + "'");
        any = any || engine::status_of(r.state) == v;
      } else if (key == "exited") {
        any = any || (engine::status_of(r.state) == "exited" &&
                      std::to_string(engine::exit_code_of(r.state)) == v);
      } else if (key == "label") {
        auto labels = r.config.value("Labels", json::object());
        size_t e = v.find('=');
        std::string k = v.substr(0, e);
        any = any || (labels.contains(k) &&
                      (e == std::string::npos || labels[k].get<std::string>() == v.substr(e + 1)));
      } else if (key == "ancestor") {
        any = any || r.image == v || r.image_id == v || r.image_id.starts_with("sha256:" + v);
      } else if (key == "before" || key == "since") {
        auto other = BERTH_TRY(service.store().get(v));
        any = any || (key == "before" ? r.created < other.created : r.created > other.created);
      } else if (key == "volume") {
        any = any || r.host_config.dump().find(v) != std::string::npos;
      } else if (key == "network") {
        any = any || r.host_config.value("NetworkMode", "") == v;
      } else {
        return fail_msg("invalid filter '" + key + "'");
      }
    }
    if (!any) return false;
  }
  return true;
}

Result<int> run_ps(Context& ctx, const PsFlags& f) {
  engine::ContainerService* service = BERTH_TRY(ctx.containers());
  std::string format = unescape_format(f.format);
  if (f.quiet) format = "{{.ID}}";
  if (format.empty())
    format =
        "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t"
        "{{.Names}}";
  TableFormat tf = split_table_format(format);
  GoTemplate row_template = BERTH_TRY(GoTemplate::parse(tf.row));
  std::vector<std::string> lines;
  if (tf.table) lines.push_back(BERTH_TRY(row_template.render(headers())));
  int limit = f.latest ? 1 : f.last;
  bool all = f.all || limit > 0 || !f.filters.empty();
  int shown = 0;
  for (const auto& r : BERTH_TRY(service->list())) {
    if (limit > 0 && shown >= limit) break;
    if (!all && !engine::is_active(r.state)) continue;
    if (!BERTH_TRY(matches(f.filters, r, *service))) continue;
    ++shown;
    lines.push_back(BERTH_TRY(row_template.render(row_json(r, f.no_trunc))));
  }
  print_lines(tf.table, lines);
  return 0;
}

void add_ps(CLI::App& parent, const std::string& name, Action& action) {
  auto f = std::make_shared<PsFlags>();
  CLI::App* cmd = parent.add_subcommand(name, "list containers");
  cmd->add_flag("-a,--all", f->all, "also stopped containers");
  cmd->add_flag("-q,--quiet", f->quiet, "only ids");
  cmd->add_flag("--no-trunc", f->no_trunc, "do not truncate output");
  cmd->add_flag("-l,--latest", f->latest, "the latest created container");
  cmd->add_option("-n,--last", f->last, "the n last created containers");
  cmd->add_flag("-s,--size", f->size, "total file sizes");
  cmd->add_option("-f,--filter", f->filters, "id=, name=, label=, status=, exited=, ancestor=, ...")
      ->allow_extra_args(false);
  cmd->add_option("--format", f->format, "Go template, or table TEMPLATE");
  cmd->callback([f, &action] { action = [f](Context& c) { return run_ps(c, *f); }; });
}

}  // namespace

void add_container_list_command(CLI::App& top, CLI::App& container, Action& action) {
  add_ps(top, "ps", action);
  add_ps(container, "ls", action);
  add_ps(container, "list", action);
}

}  // namespace berth::cli
