#include <cstdio>
#include <cstdlib>

#include "cli/berth/commands.hpp"
#include "cli/berth/context.hpp"
#include "cli/berth/cp_commands.hpp"

int main(int argc, char** argv) {
  using namespace berth;
  CLI::App app{"berth: containers, rootless first"};
  app.require_subcommand(1);
  app.set_version_flag("-v,--version", "berth version 0.1.0");

  cli::GlobalOptions global;
  app.add_option("--data-root", global.data_root, "where images, layers and volumes are kept");
  app.add_option("--exec-root", global.exec_root, "where run state is kept");
  app.add_option("--config", global.config_dir, "folder of the client's config.json");
  app.add_option("--config-file", global.config_file, "daemon.json to read");
  app.add_option("--insecure-registry", global.insecure_registries,
                 "registry (host:port or CIDR) reached over plain HTTP")
      ->allow_extra_args(false);
  app.add_flag("-D,--debug", global.debug, "debug output");
  app.add_option("--userns-remap", global.userns_remap,
                 "run containers' root as subordinate ids: default, USER[:GROUP] or UID[:GID]");

  cli::Action action;
  CLI::App* image = app.add_subcommand("image", "manage images");
  image->require_subcommand(1);
  CLI::App* container = app.add_subcommand("container", "manage containers");
  container->require_subcommand(1);
  CLI::App* system = app.add_subcommand("system", "manage berth");
  system->require_subcommand(1);
  cli::add_pull_push_commands(app, *image, action);
  cli::add_image_list_command(app, *image, action);
  cli::add_image_commands(app, *image, action);
  cli::add_archive_commands(app, *image, action);
  cli::add_login_commands(app, action);
  cli::add_image_mount_commands(*image, action);
  cli::add_system_commands(app, *system, action);
  cli::add_system_df_commands(*system, action);
  cli::add_system_check_command(*system, action);
  cli::add_container_run_commands(app, *container, action);
  cli::add_container_commands(app, *container, action);
  cli::add_container_list_command(app, *container, action);
  cli::add_container_inspect_commands(app, *container, action);
  cli::add_container_exec_command(app, *container, action);
  cli::add_container_stats_command(app, *container, action);
  cli::add_container_logs_command(app, *container, action);
  cli::add_cp_commands(
      app, container, action,
      [](cli::Context& ctx, const std::string& name) -> Result<cli::ContainerRoot> {
        engine::ContainerService* containers = BERTH_TRY(ctx.containers());
        auto map = BERTH_TRY(containers->id_map_of(name));
        cli::ContainerRoot root;
        root.fd = BERTH_TRY(containers->open_root(name));
        if (map) {
          root.uid = map->root_uid();
          root.gid = map->root_gid();
          root.to_container = engine::host_to_container_owner(map);
          root.to_host = engine::container_to_host_owner(map);
        }
        return root;
      });
  cli::add_volume_commands(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 125;  // Docker's status for a command line it cannot parse
  }
  auto ctx = cli::Context::make(global);
  if (!ctx) {
    std::fprintf(stderr, "Error: %s\n", ctx.error().what().c_str());
    return 125;
  }
  (*ctx)->set_argv(argv);
  auto status = action(**ctx);
  if (!status) {
    std::fprintf(stderr, "Error: %s\n", status.error().what().c_str());
    return 1;
  }
  return *status;
}
