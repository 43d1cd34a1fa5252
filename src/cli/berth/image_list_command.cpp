#include <fnmatch.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include "base/strings.hpp"
#include "cli/berth/commands.hpp"
#include "cli/berth/filter_args.hpp"
#include "cli/berth/go_template.hpp"
#include "cli/berth/human_units.hpp"
#include "cli/berth/table.hpp"
#include "image/reference.hpp"

namespace berth::cli {
namespace {

using json = nlohmann::json;

struct ListFlags {
  std::string repository;
  bool all = false;
  bool quiet = false;
  bool digests = false;
  bool no_trunc = false;
  std::vector<std::string> filters;
  std::string format;
};

struct Filters {
  std::optional<bool> dangling;
  std::vector<std::string> references;
  std::optional<int64_t> before;  // created strictly before this image's created
  std::optional<int64_t> since;
  std::vector<std::pair<std::string, std::optional<std::string>>> labels;
};

int64_t created_unix(const image::ImageRecord& r) {
  return parse_rfc3339(r.created).value_or(0);
}

Result<Filters> parse_filters(Context& ctx, const std::vector<std::string>& raw) {
  Filters f;
  for (const auto& item : raw) {
    auto [key, value] = BERTH_TRY(split_filter(item));
    if (key == "dangling") {
      f.dangling = BERTH_TRY(filter_bool({key, value}));
    } else if (key == "reference") {
      f.references.push_back(value);
    } else if (key == "before" || key == "since") {
      engine::ImageService* images = BERTH_TRY(ctx.images());
      auto other = BERTH_TRY(images->resolve(value));
      (key == "before" ? f.before : f.since) = created_unix(other);
    } else if (key == "label") {
      size_t e = value.find('=');
      if (e == std::string::npos)
        f.labels.emplace_back(value, std::nullopt);
      else
        f.labels.emplace_back(value.substr(0, e), value.substr(e + 1));
    } else {
      return fail_msg("invalid filter '" + key + "'");
    }
  }
  return f;
}

bool glob(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), FNM_PATHNAME) == 0;
}

struct Row {
  std::string repository = "<none>";
  std::string tag = "<none>";
  std::string digest = "<none>";
};

// One row per tag; an image known only by digest shows its repository with tag <none>.
std::vector<Row> rows_of(const image::ImageRecord& r) {
  std::vector<Row> rows;
  auto digest_for = [&](const std::string& repo) {
    for (const auto& d : r.repo_digests) {
      size_t at = d.rfind('@');
      if (at != std::string::npos && d.substr(0, at) == repo) return d.substr(at + 1);
    }
    return std::string("<none>");
  };
  for (const auto& t : r.repo_tags) {
    size_t colon = t.rfind(':');
    std::string repo = t.substr(0, colon);
    rows.push_back({image::familiar_name(repo), t.substr(colon + 1), digest_for(repo)});
  }
  if (rows.empty()) {
    std::set<std::string> seen;
    for (const auto& d : r.repo_digests) {
      size_t at = d.rfind('@');
      std::string repo = d.substr(0, at);
      if (seen.insert(repo).second)
        rows.push_back({image::familiar_name(repo), "<none>", d.substr(at + 1)});
    }
  }
  if (rows.empty()) rows.push_back({});
  return rows;
}

bool matches(const Filters& f, const image::ImageRecord& r, const Row& row,
             const image::ImageConfig* config) {
  if (f.dangling && (*f.dangling != r.repo_tags.empty())) return false;
  if (!f.references.empty()) {
    bool any = false;
    for (const auto& p : f.references)
      any = any || (row.repository != "<none>" &&
                    (glob(p, row.repository) || glob(p, row.repository + ":" + row.tag)));
    if (!any) return false;
  }
  int64_t created = created_unix(r);
  if (f.before && created >= *f.before) return false;
  if (f.since && created <= *f.since) return false;
  for (const auto& [key, value] : f.labels) {
    if (config == nullptr) return false;
    auto it = config->config.labels.find(key);
    if (it == config->config.labels.end() || (value && it->second != *value)) return false;
  }
  return true;
}

json row_json(const image::ImageRecord& r, const Row& row, bool no_trunc) {
  int64_t created = created_unix(r);
  std::string id = no_trunc ? r.id.str() : r.id.hex.substr(0, 12);
  return {{"ID", id},
          {"Repository", row.repository},
          {"Tag", row.tag},
          {"Digest", row.digest},
          {"CreatedSince", human_duration(std::time(nullptr) - created) + " ago"},
          {"CreatedAt", go_time(created)},
          {"Size", human_size(r.size)},
          {"VirtualSize", human_size(r.size)},
          {"SharedSize", "N/A"},
          {"UniqueSize", "N/A"},
          {"Containers", "N/A"}};
}

const json& headers() {
  static const json h = {{"ID", "IMAGE ID"},
                         {"Repository", "REPOSITORY"},
                         {"Tag", "TAG"},
                         {"Digest", "DIGEST"},
                         {"CreatedSince", "CREATED"},
                         {"CreatedAt", "CREATED AT"},
                         {"Size", "SIZE"},
                         {"VirtualSize", "VIRTUAL SIZE"},
                         {"SharedSize", "SHARED SIZE"},
                         {"UniqueSize", "UNIQUE SIZE"},
                         {"Containers", "CONTAINERS"}};
  return h;
}

Result<int> run_list(Context& ctx, const ListFlags& f) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  Filters filters = BERTH_TRY(parse_filters(ctx, f.filters));
  if (!f.repository.empty()) filters.references.push_back(f.repository);
  bool need_config = !filters.labels.empty();

  std::string format = unescape_format(f.format);
  if (f.quiet) format = "{{.ID}}";
  if (format.empty())
    format =
        f.digests
            ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
            : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  TableFormat tf = split_table_format(format);
  GoTemplate row_template = BERTH_TRY(GoTemplate::parse(tf.row));

  std::vector<std::string> lines;
  if (tf.table) lines.push_back(BERTH_TRY(row_template.render(headers())));
  for (const auto& r : BERTH_TRY(images->store().list())) {
    std::optional<image::ImageConfig> config;
    if (need_config) config = images->config(r).value_or(image::ImageConfig{});
    for (const auto& row : rows_of(r)) {
      if (!matches(filters, r, row, config ? &*config : nullptr)) continue;
      lines.push_back(BERTH_TRY(row_template.render(row_json(r, row, f.no_trunc))));
    }
  }
  print_lines(tf.table, lines);
  return 0;
}

void add_list(CLI::App& parent, const std::string& name, Action& action) {
  auto flags = std::make_shared<ListFlags>();
  CLI::App* cmd = parent.add_subcommand(name, "list images");
  cmd->add_option("REPOSITORY", flags->repository, "only this repository[:tag]");
  cmd->add_flag("-a,--all", flags->all, "also intermediate images (berth keeps none)");
  cmd->add_flag("-q,--quiet", flags->quiet, "only image ids");
  cmd->add_flag("--digests", flags->digests, "show digests");
  cmd->add_flag("--no-trunc", flags->no_trunc, "full ids");
  cmd->add_option("-f,--filter", flags->filters, "dangling=, reference=, before=, since=, label=")
      ->allow_extra_args(false);
  cmd->add_option("--format", flags->format, "Go template, or table TEMPLATE");
  cmd->callback([flags, &action] { action = [flags](Context& c) { return run_list(c, *flags); }; });
}

}  // namespace

void add_image_list_command(CLI::App& top, CLI::App& image, Action& action) {
  add_list(top, "images", action);
  add_list(image, "ls", action);
  add_list(image, "list", action);
}

}  // namespace berth::cli
