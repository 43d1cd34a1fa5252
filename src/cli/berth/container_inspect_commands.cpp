#include <cstdio>
#include <sstream>

#include "base/strings.hpp"
#include "base/subprocess.hpp"
#include "cli/berth/commands.hpp"
#include "cli/berth/table.hpp"
#include "engine/container_inspect.hpp"
#include "engine/container_state.hpp"
#include "engine/image_inspect.hpp"

namespace berth::cli {
namespace {

using json = nlohmann::json;

struct InspectFlags {
  std::vector<std::string> names;
  std::string format;
  std::string type;
  bool size = false;
};

// Docker's `inspect`: each name as a container, else an image, unless --type says which.
Result<int> run_inspect(Context& ctx, const InspectFlags& f) {
  if (!f.type.empty() && f.type != "container" && f.type != "image" && f.type != "volume")
    return fail_msg("\"" + f.type + "\" is not a valid value for --type");
  json items = json::array();
  int status = 0;
  for (const auto& n : f.names) {
    if (f.type != "image") {
      engine::ContainerService* containers = BERTH_TRY(ctx.containers());
      auto found = BERTH_TRY(containers->store().find(n));
      if (found) {
        auto r = BERTH_TRY(containers->get(found->id));
        json item = engine::inspect_container(*containers, r);
        if (f.size) item["SizeRw"] = BERTH_TRY(containers->rw_size(r.id));
        items.push_back(std::move(item));
        continue;
      }
    }
    if (f.type.empty() || f.type == "image") {
      engine::ImageService* images = BERTH_TRY(ctx.images());
      if (auto record = images->resolve(n)) {
        items.push_back(BERTH_TRY(engine::inspect_image(*images, *record)));
        continue;
      }
    }
    if (f.type.empty() || f.type == "volume") {
      engine::ContainerService* containers = BERTH_TRY(ctx.containers());
      if (auto volume = BERTH_TRY(containers->volumes().find(n))) {
        items.push_back(inspect_volume_json(*volume));
        continue;
      }
    }
    std::fprintf(stderr, "Error: No such %s: %s\n", f.type.empty() ? "object" : f.type.c_str(),
                 n.c_str());
    status = 1;
  }
  int printed = BERTH_TRY(print_inspect(items, f.format));
  return status != 0 ? status : printed;
}

void add_inspect(CLI::App& parent, bool generic, Action& action) {
  auto f = std::make_shared<InspectFlags>();
  if (!generic) f->type = "container";
  CLI::App* cmd = parent.add_subcommand(
      "inspect", generic ? "details of containers, images or volumes" : "details of containers");
  cmd->add_option("NAME", f->names, "names or ids")->required();
  cmd->add_option("-f,--format", f->format, "Go template");
  cmd->add_flag("-s,--size", f->size, "the size of the container's writable layer");
  if (generic) cmd->add_option("--type", f->type, "container, image or volume");
  cmd->callback([f, &action] { action = [f](Context& c) { return run_inspect(c, *f); }; });
}

// Docker's top: the host's ps (default -ef), its rows kept for the container's processes.
Result<int> run_top(Context& ctx, const std::string& name, const std::vector<std::string>& args) {
  engine::ContainerService* service = BERTH_TRY(ctx.containers());
  auto r = BERTH_TRY(service->get(name));
  if (!engine::is_running(r.state)) return fail_msg("Container " + r.id + " is not running");
  auto pids = BERTH_TRY(runtime::container_pids(service->runtime_options(), r.id));
  std::vector<std::string> argv = {"ps"};
  if (args.empty()) argv.push_back("-ef");
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out = BERTH_TRY(subprocess::capture(argv));
  std::istringstream lines(out);
  std::string header;
  std::getline(lines, header);
  std::istringstream header_words(header);
  int pid_column = -1, i = 0;
  for (std::string w; header_words >> w; ++i)
    if (w == "PID") pid_column = i;
  if (pid_column < 0) return fail_msg("ps " + join(argv, " ") + ": no PID column in its output");
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string w;
    for (int k = 0; k <= pid_column && words >> w; ++k) {
    }
    pid_t pid = static_cast<pid_t>(std::atoi(w.c_str()));
    if (std::find(pids.begin(), pids.end(), pid) != pids.end()) rows.push_back(line);
  }
  std::printf("%s\n", header.c_str());
  for (const auto& row : rows) std::printf("%s\n", row.c_str());
  return 0;
}

void add_top(CLI::App& parent, Action& action) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = parent.add_subcommand("top", "the processes of a container");
  cmd->add_option("CONTAINER", *name, "container")->required();
  cmd->prefix_command();
  cmd->callback([name, cmd, &action] {
    action = [name, cmd](Context& c) { return run_top(c, *name, cmd->remaining()); };
  });
}

}  // namespace

void add_container_inspect_commands(CLI::App& top, CLI::App& container, Action& action) {
  add_inspect(top, true, action);
  add_inspect(container, false, action);
  add_top(top, action);
  add_top(container, action);
}

}  // namespace berth::cli
