#include <algorithm>
#include <cstdio>
#include <iostream>
#include <regex>

#include "cli/berth/commands.hpp"
#include "cli/berth/confirm.hpp"
#include "cli/berth/filter_args.hpp"
#include "cli/berth/go_template.hpp"
#include "cli/berth/human_units.hpp"
#include "cli/berth/table.hpp"
#include "engine/container_store.hpp"
#include "engine/volume_store.hpp"
#include "engine/volume_users.hpp"

namespace berth::cli {
namespace {

using json = nlohmann::json;
using engine::VolumeLabelFilter;
using engine::VolumeRecord;
using StringMap = std::map<std::string, std::string>;

Result<engine::VolumeService> open_volumes(Context& ctx) {
  // Rootless, the files a container copied up belong to subordinate ids: only inside the user's
  // namespace (which opening the image store enters) can they be removed.
  if (ctx.rootless()) (void)BERTH_TRY(ctx.images());
  return engine::VolumeService::open(ctx.paths().data_root, ctx.rootless());
}

Result<std::map<std::string, std::vector<std::string>>> users(Context& ctx) {
  auto containers = BERTH_TRY(engine::ContainerStore::open(ctx.paths().data_root));
  return engine::volume_users(containers);
}

// "k=v" -> {k, v}; "k" -> {k, ""}, as Docker's map options read them.
StringMap to_map(const std::vector<std::string>& items) {
  StringMap out;
  for (const auto& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      out[item] = "";
    else
      out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

VolumeLabelFilter label_filter(const std::string& value, bool negate) {
  size_t eq = value.find('=');
  if (eq == std::string::npos) return {value, std::nullopt, negate};
  return {value.substr(0, eq), value.substr(eq + 1), negate};
}

std::string created_at(const VolumeRecord& v) {
  return rfc3339(parse_rfc3339(v.created).value_or(0));
}

// --- create

struct CreateFlags {
  std::string name;
  std::string name_flag;
  std::string driver = "local";
  std::vector<std::string> opts;
  std::vector<std::string> labels;
};

Result<int> run_create(Context& ctx, const CreateFlags& f) {
  if (!f.name.empty() && !f.name_flag.empty() && f.name != f.name_flag)
    return fail_msg(
        "conflicting options: either specify --name or provide positional arg, not both");
  std::string name = f.name.empty() ? f.name_flag : f.name;
  // Unnamed from the CLI: a random name, but not an anonymous volume (prune keeps it).
  if (name.empty()) name = engine::random_volume_name();
  auto volumes = BERTH_TRY(open_volumes(ctx));
  VolumeRecord v = BERTH_TRY(volumes.create(name, f.driver, to_map(f.opts), to_map(f.labels)));
  std::printf("%s\n", v.name.c_str());
  return 0;
}

// --- ls

struct ListFlags {
  bool quiet = false;
  std::vector<std::string> filters;
  std::string format;
};

struct ListFilters {
  std::optional<bool> dangling;
  std::vector<std::regex> names;
  std::vector<std::string> drivers;
  std::vector<VolumeLabelFilter> labels;
};

Result<ListFilters> parse_list_filters(const std::vector<std::string>& raw) {
  ListFilters f;
  for (const auto& item : raw) {
    auto [key, value] = BERTH_TRY(split_filter(item));
    if (key == "dangling") {
      f.dangling = BERTH_TRY(filter_bool({key, value}));
    } else if (key == "name") {
      try {
        f.names.emplace_back(value);
      } catch (const std::regex_error&) {
        return fail_msg("invalid filter 'name=" + value + "': not a regular expression");
      }
    } else if (key == "driver") {
      f.drivers.push_back(value);
    } else if (key == "label" || key == "label!") {
      f.labels.push_back(label_filter(value, key == "label!"));
    } else {
      return fail_msg("invalid filter '" + key + "'");
    }
  }
  return f;
}

std::string labels_text(const StringMap& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

json row_json(const VolumeRecord& v) {
  return {{"Name", v.name},
          {"Driver", v.driver},
          {"Scope", "local"},
          {"Mountpoint", v.mountpoint},
          {"Labels", labels_text(v.labels)},
          {"CreatedAt", created_at(v)},
          {"Links", "N/A"},
          {"Size", "N/A"},
          {"Group", "N/A"},
          {"Availability", "N/A"},
          {"Status", "N/A"}};
}

const json& headers() {
  static const json h = {{"Name", "VOLUME NAME"}, {"Driver", "DRIVER"},
                         {"Scope", "SCOPE"},      {"Mountpoint", "MOUNTPOINT"},
                         {"Labels", "LABELS"},    {"CreatedAt", "CREATED"},
                         {"Links", "LINKS"},      {"Size", "SIZE"},
                         {"Group", "GROUP"},      {"Availability", "AVAILABILITY"},
                         {"Status", "STATUS"}};
  return h;
}

bool selected(const ListFilters& f, const VolumeRecord& v, bool used) {
  if (f.dangling && *f.dangling == used) return false;
  if (!f.names.empty()) {
    bool any = false;
    for (const auto& re : f.names) any = any || std::regex_search(v.name, re);
    if (!any) return false;
  }
  if (!f.drivers.empty() &&
      std::find(f.drivers.begin(), f.drivers.end(), v.driver) == f.drivers.end())
    return false;
  for (const auto& l : f.labels) {
    auto it = v.labels.find(l.key);
    bool hit = it != v.labels.end() && (!l.value || it->second == *l.value);
    if (hit == l.negate) return false;
  }
  return true;
}

Result<int> run_list(Context& ctx, const ListFlags& f) {
  ListFilters filters = BERTH_TRY(parse_list_filters(f.filters));
  std::string format = unescape_format(f.format);
  if (f.quiet) format = "{{.Name}}";
  if (format.empty()) format = "table {{.Driver}}\t{{.Name}}";
  TableFormat tf = split_table_format(format);
  GoTemplate row_template = BERTH_TRY(GoTemplate::parse(tf.row));

  auto volumes = BERTH_TRY(open_volumes(ctx));
  std::map<std::string, std::vector<std::string>> used;
  if (filters.dangling) used = BERTH_TRY(users(ctx));
  std::vector<std::string> lines;
  if (tf.table) lines.push_back(BERTH_TRY(row_template.render(headers())));
  for (const auto& v : BERTH_TRY(volumes.list())) {
    if (!selected(filters, v, used.contains(v.name))) continue;
    lines.push_back(BERTH_TRY(row_template.render(row_json(v))));
  }
  print_lines(tf.table, lines);
  return 0;
}

// --- inspect

struct InspectFlags {
  std::vector<std::string> names;
  std::string format;
};

Result<int> run_inspect(Context& ctx, const InspectFlags& f) {
  auto volumes = BERTH_TRY(open_volumes(ctx));
  json items = json::array();
  int status = 0;
  for (const auto& n : f.names) {
    auto v = volumes.get(n);
    if (!v) {
      std::fprintf(stderr, "Error: %s\n", v.error().what().c_str());
      status = 1;
      continue;
    }
    items.push_back(inspect_volume_json(*v));
  }
  int printed = BERTH_TRY(print_inspect(items, f.format));
  return status != 0 ? status : printed;
}

// --- rm

struct RemoveFlags {
  std::vector<std::string> names;
  bool force = false;
};

Result<int> run_remove(Context& ctx, const RemoveFlags& f) {
  auto volumes = BERTH_TRY(open_volumes(ctx));
  auto used = BERTH_TRY(users(ctx));
  int status = 0;
  for (const auto& n : f.names) {
    auto it = used.find(n);
    auto removed =
        volumes.remove(n, f.force, it == used.end() ? std::vector<std::string>() : it->second);
    if (!removed) {
      std::fprintf(stderr, "Error: %s\n", removed.error().what().c_str());
      status = 1;
      continue;
    }
    std::printf("%s\n", n.c_str());
  }
  return status;
}

// --- prune

struct PruneFlags {
  bool all = false;
  bool force = false;
  std::vector<std::string> filters;
};

Result<int> run_prune(Context& ctx, const PruneFlags& f) {
  std::vector<VolumeLabelFilter> labels;
  bool all = f.all;
  for (const auto& item : f.filters) {
    auto [key, value] = BERTH_TRY(split_filter(item));
    if (key == "label" || key == "label!") {
      labels.push_back(label_filter(value, key == "label!"));
    } else if (key == "all") {
      all = all || BERTH_TRY(filter_bool({key, value}));
    } else {
      return fail_msg("invalid filter '" + key + "'");
    }
  }
  if (!f.force &&
      !confirm(all ? "WARNING! This will remove all local volumes not used by at least one "
                     "container."
                   : "WARNING! This will remove anonymous local volumes not used by at least one "
                     "container."))
    return 0;
  auto volumes = BERTH_TRY(open_volumes(ctx));
  std::set<std::string> in_use;
  for (const auto& [name, ids] : BERTH_TRY(users(ctx))) in_use.insert(name);
  engine::VolumePruneReport report = BERTH_TRY(volumes.prune(labels, all, in_use));
  if (!report.deleted.empty()) {
    std::printf("Deleted Volumes:\n");
    for (const auto& n : report.deleted) std::printf("%s\n", n.c_str());
    std::printf("\n");
  }
  std::printf("Total reclaimed space: %s\n", human_size(report.reclaimed).c_str());
  return 0;
}

}  // namespace

nlohmann::json inspect_volume_json(const engine::VolumeRecord& v) {
  // Docker shows null for maps a container's anonymous volume was made without, {} for the ones
  // the CLI sent empty.
  auto map_json = [&](const StringMap& m) {
    return m.empty() && v.anonymous ? nlohmann::json() : nlohmann::json(m);
  };
  return nlohmann::json{{"CreatedAt", created_at(v)},
                        {"Driver", v.driver},
                        {"Labels", map_json(v.labels)},
                        {"Mountpoint", v.mountpoint},
                        {"Name", v.name},
                        {"Options", map_json(v.options)},
                        {"Scope", "local"}};
}

void add_volume_commands(CLI::App& top, Action& action) {
  CLI::App* volume = top.add_subcommand("volume", "manage volumes");
  volume->require_subcommand(1);

  auto create = std::make_shared<CreateFlags>();
  CLI::App* cmd = volume->add_subcommand("create", "create a volume");
  cmd->add_option("NAME", create->name, "volume name (a random one when missing)");
  cmd->add_option("--name", create->name_flag, "volume name")->group("");
  cmd->add_option("-d,--driver", create->driver, "volume driver (only local)");
  cmd->add_option("-o,--opt", create->opts, "driver option k=v (type, device, o)")
      ->allow_extra_args(false);
  cmd->add_option("--label", create->labels, "label k=v")->allow_extra_args(false);
  cmd->callback(
      [create, &action] { action = [create](Context& c) { return run_create(c, *create); }; });

  auto list = std::make_shared<ListFlags>();
  for (const char* name : {"ls", "list"}) {
    cmd = volume->add_subcommand(name, "list volumes");
    cmd->add_flag("-q,--quiet", list->quiet, "only names");
    cmd->add_option("-f,--filter", list->filters, "dangling=, name=, driver=, label=")
        ->allow_extra_args(false);
    cmd->add_option("--format", list->format, "Go template, or table TEMPLATE");
    cmd->callback([list, &action] { action = [list](Context& c) { return run_list(c, *list); }; });
  }

  auto inspect = std::make_shared<InspectFlags>();
  cmd = volume->add_subcommand("inspect", "details of volumes");
  cmd->add_option("VOLUME", inspect->names, "volume names")->required();
  cmd->add_option("-f,--format", inspect->format, "Go template");
  cmd->callback(
      [inspect, &action] { action = [inspect](Context& c) { return run_inspect(c, *inspect); }; });

  auto remove = std::make_shared<RemoveFlags>();
  for (const char* name : {"rm", "remove"}) {
    cmd = volume->add_subcommand(name, "remove volumes");
    cmd->add_option("VOLUME", remove->names, "volume names")->required();
    cmd->add_flag("-f,--force", remove->force, "no error for missing volumes");
    cmd->callback(
        [remove, &action] { action = [remove](Context& c) { return run_remove(c, *remove); }; });
  }

  auto prune = std::make_shared<PruneFlags>();
  cmd = volume->add_subcommand("prune", "remove unused volumes");
  cmd->add_flag("-a,--all", prune->all, "named volumes too, not only anonymous ones");
  cmd->add_flag("-f,--force", prune->force, "do not ask");
  cmd->add_option("--filter", prune->filters, "label=, label!=, all=")->allow_extra_args(false);
  cmd->callback(
      [prune, &action] { action = [prune](Context& c) { return run_prune(c, *prune); }; });
}

}  // namespace berth::cli
