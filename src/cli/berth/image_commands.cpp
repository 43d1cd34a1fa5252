#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>

#include "cli/berth/commands.hpp"
#include "cli/berth/confirm.hpp"
#include "cli/berth/go_template.hpp"
#include "cli/berth/human_units.hpp"
#include "cli/berth/table.hpp"
#include "engine/image_inspect.hpp"
#include "image/chain_id.hpp"
#include "image/reference.hpp"

namespace berth::cli {
namespace {

using json = nlohmann::json;

void print_removed(const image::RemovedImage& removed, const char* untagged, const char* deleted) {
  for (const auto& n : removed.untagged)
    std::printf("%s: %s\n", untagged, image::familiar_name(n).c_str());
  for (const auto& d : removed.deleted) std::printf("%s: %s\n", deleted, d.str().c_str());
}

struct RmiFlags {
  std::vector<std::string> names;
  bool force = false;
};

Result<int> run_rmi(Context& ctx, const RmiFlags& f) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  int status = 0;
  for (const auto& n : f.names) {
    auto removed = images->remove(n, f.force);
    if (!removed) {
      std::fprintf(stderr, "Error: %s\n", removed.error().what().c_str());
      status = 1;
      continue;
    }
    print_removed(*removed, "Untagged", "Deleted");
    if (!removed->gc_error.empty())
      std::fprintf(stderr, "Warning: %s: files left for the next prune: %s\n", n.c_str(),
                   removed->gc_error.c_str());
  }
  return status;
}

struct PruneFlags {
  bool all = false;
  bool force = false;
};

Result<int> run_prune(Context& ctx, const PruneFlags& f) {
  if (!f.force && !confirm(f.all ? "WARNING! This will remove all images without at least one "
                                   "container associated to them."
                                 : "WARNING! This will remove all dangling images."))
    return 0;
  engine::ImageService* images = BERTH_TRY(ctx.images());
  image::RemovedImage removed = BERTH_TRY(images->store().prune(f.all));
  image::GcReport gc = BERTH_TRY(images->store().gc());
  if (!removed.untagged.empty() || !removed.deleted.empty()) {
    std::printf("Deleted Images:\n");
    print_removed(removed, "untagged", "deleted");
    std::printf("\n");
  }
  std::printf("Total reclaimed space: %s\n", human_size(gc.bytes_freed).c_str());
  return 0;
}

Result<int> run_tag(Context& ctx, const std::string& source, const std::string& target) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  BERTH_CHECK(images->tag(source, target));
  return 0;
}

struct HistoryFlags {
  std::string name;
  bool no_trunc = false;
  bool quiet = false;
  std::string human = "true";
  std::string format;
};

Result<int> run_history(Context& ctx, const HistoryFlags& f) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  image::ImageRecord record = BERTH_TRY(images->resolve(f.name));
  image::ImageConfig config = BERTH_TRY(images->config(record));
  auto chains = image::chain_ids(config.rootfs.diff_ids);
  bool human = f.human != "false";

  std::vector<json> rows;
  size_t layer = 0;
  for (const auto& h : config.history) {
    uint64_t size = 0;
    if (!h.empty_layer && layer < chains.size())
      size = images->store().layers().size(chains[layer++]).value_or(0);
    int64_t created = parse_rfc3339(h.created).value_or(0);
    std::string created_by = h.created_by;
    if (!f.no_trunc && created_by.size() > 45) created_by = created_by.substr(0, 44) + "…";
    rows.push_back({{"ID", "<missing>"},
                    {"CreatedSince", human ? human_duration(std::time(nullptr) - created) + " ago"
                                           : rfc3339(created)},
                    {"CreatedAt", rfc3339(created)},
                    {"CreatedBy", created_by},
                    {"Size", human ? human_size(size) : std::to_string(size)},
                    {"Comment", h.comment}});
  }
  if (rows.empty())
    rows.push_back({{"ID", "<missing>"},
                    {"CreatedSince", "N/A"},
                    {"CreatedAt", ""},
                    {"CreatedBy", ""},
                    {"Size", human_size(record.size)},
                    {"Comment", ""}});
  rows.back()["ID"] = f.no_trunc ? record.id.str() : record.id.hex.substr(0, 12);

  std::string format = unescape_format(f.format);
  if (f.quiet) format = "{{.ID}}";
  if (format.empty())
    format = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
  TableFormat tf = split_table_format(format);
  GoTemplate t = BERTH_TRY(GoTemplate::parse(tf.row));
  std::vector<std::string> lines;
  if (tf.table)
    lines.push_back(BERTH_TRY(t.render({{"ID", "IMAGE"},
                                        {"CreatedSince", "CREATED"},
                                        {"CreatedAt", "CREATED AT"},
                                        {"CreatedBy", "CREATED BY"},
                                        {"Size", "SIZE"},
                                        {"Comment", "COMMENT"}})));
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) lines.push_back(BERTH_TRY(t.render(*it)));
  print_lines(tf.table, lines);
  return 0;
}

struct InspectFlags {
  std::vector<std::string> names;
  std::string format;
};

Result<int> run_inspect(Context& ctx, const InspectFlags& f) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  json items = json::array();
  int status = 0;
  for (const auto& n : f.names) {
    auto record = images->resolve(n);
    if (!record) {
      std::fprintf(stderr, "Error: %s\n", record.error().what().c_str());
      status = 1;
      continue;
    }
    items.push_back(BERTH_TRY(engine::inspect_image(*images, *record)));
  }
  int printed = BERTH_TRY(print_inspect(items, f.format));
  return status != 0 ? status : printed;
}

Result<int> run_check(Context& ctx) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  image::StoreCheck checked = BERTH_TRY(images->store().check());
  for (const auto& l : checked.leftovers) std::printf("note: %s\n", l.c_str());
  for (const auto& p : checked.problems) std::printf("%s\n", p.c_str());
  const std::string& root = ctx.paths().data_root;
  if (!checked.problems.empty()) {
    std::fprintf(stderr, "Error: image store %s: %zu problem%s\n", root.c_str(),
                 checked.problems.size(), checked.problems.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("image store %s: consistent\n", root.c_str());
  return 0;
}

void add_rmi(CLI::App& parent, const std::string& name, Action& action) {
  auto flags = std::make_shared<RmiFlags>();
  CLI::App* cmd = parent.add_subcommand(name, "remove images");
  cmd->add_option("IMAGE", flags->names, "image names or ids")->required();
  cmd->add_flag("-f,--force", flags->force, "remove an image with several names, or in use");
  cmd->callback([flags, &action] { action = [flags](Context& c) { return run_rmi(c, *flags); }; });
}

void add_tag(CLI::App& parent, Action& action) {
  auto names = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* cmd = parent.add_subcommand("tag", "give an image another name");
  cmd->add_option("SOURCE", names->first, "image name or id")->required();
  cmd->add_option("TARGET", names->second, "new name[:tag]")->required();
  cmd->callback([names, &action] {
    action = [names](Context& c) { return run_tag(c, names->first, names->second); };
  });
}

void add_history(CLI::App& parent, Action& action) {
  auto flags = std::make_shared<HistoryFlags>();
  CLI::App* cmd = parent.add_subcommand("history", "show how an image was made");
  cmd->add_option("IMAGE", flags->name, "image name or id")->required();
  cmd->add_flag("--no-trunc", flags->no_trunc, "full output");
  cmd->add_flag("-q,--quiet", flags->quiet, "only ids");
  cmd->add_option("-H,--human", flags->human, "human sizes and dates (true|false)")
      ->check(CLI::IsMember({"true", "false"}));
  cmd->add_option("--format", flags->format, "Go template, or table TEMPLATE");
  cmd->callback(
      [flags, &action] { action = [flags](Context& c) { return run_history(c, *flags); }; });
}

void add_inspect(CLI::App& parent, const std::string& what, Action& action) {
  auto flags = std::make_shared<InspectFlags>();
  CLI::App* cmd = parent.add_subcommand("inspect", "details of " + what);
  cmd->add_option("NAME", flags->names, "names or ids")->required();
  cmd->add_option("-f,--format", flags->format, "Go template");
  cmd->callback(
      [flags, &action] { action = [flags](Context& c) { return run_inspect(c, *flags); }; });
}

}  // namespace

Result<int> print_inspect(const json& items, const std::string& format) {
  if (format.empty()) {
    std::printf("%s\n", items.dump(4).c_str());
    return 0;
  }
  GoTemplate t = BERTH_TRY(GoTemplate::parse(unescape_format(format)));
  for (const auto& item : items) std::printf("%s\n", BERTH_TRY(t.render(item)).c_str());
  return 0;
}

void add_image_commands(CLI::App& top, CLI::App& image, Action& action) {
  add_rmi(top, "rmi", action);
  add_rmi(image, "rm", action);
  add_tag(top, action);
  add_tag(image, action);
  add_history(top, action);
  add_history(image, action);
  add_inspect(image, "images", action);

  auto prune = std::make_shared<PruneFlags>();
  CLI::App* cmd = image.add_subcommand("prune", "remove unused images");
  cmd->add_flag("-a,--all", prune->all, "all images without containers, not only dangling ones");
  cmd->add_flag("-f,--force", prune->force, "do not ask");
  cmd->callback(
      [prune, &action] { action = [prune](Context& c) { return run_prune(c, *prune); }; });

  CLI::App* check = image.add_subcommand("check", "verify the image store: blobs, layers, records");
  check->callback([&action] { action = [](Context& c) { return run_check(c); }; });
}

}  // namespace berth::cli
