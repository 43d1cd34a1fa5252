#include <sys/utsname.h>

#include <cstdio>

#include "cli/berth/commands.hpp"
#include "cli/berth/go_template.hpp"
#include "engine/container_state.hpp"
#include "engine/idmap_probe.hpp"
#include "image/platform.hpp"
#include "image/snapshotter.hpp"

namespace berth::cli {
namespace {

using json = nlohmann::json;

constexpr const char* kVersion = "0.1.0";

// How containers with a user namespace of their own see the image layers.
std::string layer_sharing(Context& ctx) {
  if (ctx.rootless()) return "user namespace (the layers hold the user namespace's ids)";
  if (engine::can_idmap(ctx.paths().data_root)) return "idmapped mounts";
  return "chowned copies per id map (the kernel cannot idmap the data root's filesystem)";
}

Result<json> info_json(Context& ctx) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  auto list = BERTH_TRY(images->store().list());
  image::SnapshotterKind kind =
      BERTH_TRY(image::detect_snapshotter(ctx.paths().data_root, ctx.rootless()));
  struct utsname u = {};
  ::uname(&u);
  json security = json::array({"name=seccomp,profile=builtin"});
  if (ctx.rootless()) security.push_back("name=rootless");
  if (!ctx.daemon_config().userns_remap.empty()) security.push_back("name=userns");
  engine::ContainerService* containers = BERTH_TRY(ctx.containers());
  size_t running = 0, paused = 0, stopped = 0;
  auto all = BERTH_TRY(containers->list());
  for (const auto& c : all) {
    std::string status = engine::status_of(c.state);
    if (status == "paused")
      ++paused;
    else if (engine::is_active(c.state))
      ++running;
    else
      ++stopped;
  }
  return json{{"Containers", all.size()},
              {"ContainersRunning", running},
              {"ContainersPaused", paused},
              {"ContainersStopped", stopped},
              {"Images", list.size()},
              {"Driver", std::string(image::to_string(kind))},
              {"DockerRootDir", ctx.paths().data_root},
              {"ExecRoot", ctx.paths().exec_root},
              {"KernelVersion", u.release},
              {"OperatingSystem", "linux"},
              {"OSType", "linux"},
              {"Architecture", u.machine},
              {"Platform", image::host_platform().str()},
              {"ServerVersion", kVersion},
              {"Rootless", ctx.rootless()},
              {"InsecureRegistries", ctx.registry_config().insecure_registries},
              {"SecurityOptions", security},
              {"UsernsRemap", ctx.daemon_config().userns_remap},
              {"LayerSharing", layer_sharing(ctx)},
              {"Debug", ctx.daemon_config().debug}};
}

Result<int> run_info(Context& ctx, const std::string& format) {
  json info = BERTH_TRY(info_json(ctx));
  if (!format.empty()) {
    GoTemplate t = BERTH_TRY(GoTemplate::parse(unescape_format(format)));
    std::printf("%s\n", BERTH_TRY(t.render(info)).c_str());
    return 0;
  }
  std::printf("Containers: %zu\n Running: %zu\n Paused: %zu\n Stopped: %zu\n",
              info["Containers"].get<size_t>(), info["ContainersRunning"].get<size_t>(),
              info["ContainersPaused"].get<size_t>(), info["ContainersStopped"].get<size_t>());
  std::printf("Server Version: %s\n", kVersion);
  std::printf("Storage Driver: %s\n", info["Driver"].get<std::string>().c_str());
  std::printf("Images: %zu\n", info["Images"].get<size_t>());
  std::printf("Rootless: %s\n", ctx.rootless() ? "true" : "false");
  if (!ctx.daemon_config().userns_remap.empty())
    std::printf("Userns Remap: %s\n", ctx.daemon_config().userns_remap.c_str());
  std::printf("Layer Sharing: %s\n", info["LayerSharing"].get<std::string>().c_str());
  std::printf("Security Options:\n");
  for (const auto& s : info["SecurityOptions"]) std::printf(" %s\n", s.get<std::string>().c_str());
  std::printf("Kernel Version: %s\n", info["KernelVersion"].get<std::string>().c_str());
  std::printf("Architecture: %s\n", info["Architecture"].get<std::string>().c_str());
  std::printf("Berth Root Dir: %s\n", ctx.paths().data_root.c_str());
  std::printf("Exec Root Dir: %s\n", ctx.paths().exec_root.c_str());
  std::printf("Debug Mode: %s\n", ctx.daemon_config().debug ? "true" : "false");
  std::printf("Insecure Registries:\n");
  for (const auto& r : ctx.registry_config().insecure_registries) std::printf(" %s\n", r.c_str());
  std::printf(" 127.0.0.0/8\n");
  return 0;
}

Result<int> run_version(const std::string& format) {
  image::Platform host = image::host_platform();
  json v = {{"Client", {{"Version", kVersion}, {"Os", host.os}, {"Arch", host.architecture}}}};
  if (!format.empty()) {
    GoTemplate t = BERTH_TRY(GoTemplate::parse(unescape_format(format)));
    std::printf("%s\n", BERTH_TRY(t.render(v)).c_str());
    return 0;
  }
  std::printf("Client:\n Version:           %s\n OS/Arch:           %s/%s\n", kVersion,
              host.os.c_str(), host.architecture.c_str());
  return 0;
}

void add_info(CLI::App& parent, Action& action) {
  auto format = std::make_shared<std::string>();
  CLI::App* cmd = parent.add_subcommand("info", "system-wide information");
  cmd->add_option("-f,--format", *format, "Go template");
  cmd->callback(
      [format, &action] { action = [format](Context& c) { return run_info(c, *format); }; });
}

}  // namespace

void add_system_commands(CLI::App& top, CLI::App& system, Action& action) {
  add_info(top, action);
  add_info(system, action);
  auto format = std::make_shared<std::string>();
  CLI::App* version = top.add_subcommand("version", "berth's version");
  version->add_option("-f,--format", *format, "Go template");
  version->callback(
      [format, &action] { action = [format](Context&) { return run_version(*format); }; });
}

}  // namespace berth::cli
