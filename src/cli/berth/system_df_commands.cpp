#include <cstdio>
#include <set>

#include "cli/berth/commands.hpp"
#include "cli/berth/confirm.hpp"
#include "cli/berth/human_units.hpp"
#include "cli/berth/table.hpp"
#include "engine/container_state.hpp"
#include "engine/volume_users.hpp"

namespace berth::cli {
namespace {

std::string reclaimable(uint64_t bytes, uint64_t total, bool with_percent) {
  std::string s = human_size(bytes);
  if (with_percent) {
    unsigned pct =
        total
            ? static_cast<unsigned>(100.0 * static_cast<double>(bytes) / static_cast<double>(total))
            : 0;
    s += " (" + std::to_string(pct) + "%)";
  }
  return s;
}

// Docker's system df: images, containers' writable layers and volumes, and what could go.
Result<int> run_df(Context& ctx) {
  engine::ContainerService* service = BERTH_TRY(ctx.containers());
  engine::ImageService* images = BERTH_TRY(ctx.images());
  auto containers = BERTH_TRY(service->list());
  std::set<std::string> used_images;
  uint64_t rw_total = 0, rw_stopped = 0;
  size_t running = 0;
  for (const auto& c : containers) {
    used_images.insert(c.image_id);
    uint64_t size = BERTH_TRY(service->rw_size(c.id));
    rw_total += size;
    if (engine::is_running(c.state)) {
      ++running;
    } else {
      rw_stopped += size;
    }
  }
  auto image_list = BERTH_TRY(images->store().list());
  uint64_t image_total = 0, image_unused = 0;
  size_t image_active = 0;
  for (const auto& i : image_list) {
    image_total += i.size;
    if (used_images.contains(i.id.str())) {
      ++image_active;
    } else {
      image_unused += i.size;
    }
  }
  auto users = BERTH_TRY(engine::volume_users(service->store()));
  auto volume_list = BERTH_TRY(service->volumes().list());
  uint64_t volume_total = 0, volume_unused = 0;
  size_t volume_active = 0;
  for (const auto& v : volume_list) {
    uint64_t size = BERTH_TRY(service->volumes().volume_size(v));
    volume_total += size;
    if (users.contains(v.name)) {
      ++volume_active;
    } else {
      volume_unused += size;
    }
  }
  std::vector<std::string> lines = {"TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE"};
  auto row = [&](const char* type, size_t total, size_t active, uint64_t size, uint64_t free,
                 bool pct) {
    lines.push_back(std::string(type) + "\t" + std::to_string(total) + "\t" +
                    std::to_string(active) + "\t" + human_size(size) + "\t" +
                    reclaimable(free, size, pct));
  };
  row("Images", image_list.size(), image_active, image_total, image_unused, true);
  row("Containers", containers.size(), running, rw_total, rw_stopped, true);
  row("Local Volumes", volume_list.size(), volume_active, volume_total, volume_unused, true);
  row("Build Cache", 0, 0, 0, 0, false);
  std::fputs(tabulate(lines).c_str(), stdout);
  return 0;
}

struct PruneFlags {
  bool all = false, force = false, volumes = false;
};

// Docker's system prune: stopped containers, then unused images (dangling ones, or all with -a),
// then with --volumes the anonymous volumes no container uses.
Result<int> run_prune(Context& ctx, const PruneFlags& f) {
  std::string warning = "WARNING! This will remove:\n  - all stopped containers\n";
  if (f.volumes) warning += "  - all anonymous volumes not used by at least one container\n";
  warning += f.all ? "  - all images without at least one container associated to them"
                   : "  - all dangling images";
  if (!f.force && !confirm(warning)) return 0;
  engine::ContainerService* service = BERTH_TRY(ctx.containers());
  engine::ImageService* images = BERTH_TRY(ctx.images());
  uint64_t reclaimed = 0;
  std::vector<std::string> removed;
  for (const auto& c : BERTH_TRY(service->list())) {
    if (engine::is_active(c.state)) continue;
    reclaimed += BERTH_TRY(service->rw_size(c.id));
    BERTH_CHECK(service->remove(c.id, false, false));
    removed.push_back(c.id);
  }
  if (!removed.empty()) {
    std::printf("Deleted Containers:\n");
    for (const auto& id : removed) std::printf("%s\n", id.c_str());
    std::printf("\n");
  }
  image::RemovedImage gone = BERTH_TRY(images->store().prune(f.all));
  reclaimed += BERTH_TRY(images->store().gc()).bytes_freed;
  if (!gone.untagged.empty() || !gone.deleted.empty()) {
    std::printf("Deleted Images:\n");
    for (const auto& t : gone.untagged) std::printf("untagged: %s\n", t.c_str());
    for (const auto& d : gone.deleted) std::printf("deleted: %s\n", d.str().c_str());
    std::printf("\n");
  }
  if (f.volumes) {
    std::set<std::string> in_use;
    for (const auto& [name, ids] : BERTH_TRY(engine::volume_users(service->store())))
      in_use.insert(name);
    auto report = BERTH_TRY(service->volumes().prune({}, false, in_use));
    reclaimed += report.reclaimed;
    if (!report.deleted.empty()) {
      std::printf("Deleted Volumes:\n");
      for (const auto& n : report.deleted) std::printf("%s\n", n.c_str());
      std::printf("\n");
    }
  }
  std::printf("Total reclaimed space: %s\n", human_size(reclaimed).c_str());
  return 0;
}

}  // namespace

void add_system_df_commands(CLI::App& system, Action& action) {
  CLI::App* df = system.add_subcommand("df", "disk used by images, containers and volumes");
  df->callback([&action] { action = [](Context& c) { return run_df(c); }; });
  auto f = std::make_shared<PruneFlags>();
  CLI::App* prune = system.add_subcommand("prune", "remove unused containers, images, volumes");
  prune->add_flag("-a,--all", f->all, "all images without containers, not only dangling ones");
  prune->add_flag("-f,--force", f->force, "do not ask");
  prune->add_flag("--volumes", f->volumes, "also unused anonymous volumes");
  prune->callback([f, &action] { action = [f](Context& c) { return run_prune(c, *f); }; });
}

}  // namespace berth::cli
