#pragma once

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "cli/berth/context.hpp"

namespace berth::cli {

// What the chosen subcommand does, run once the global flags are known. The value is the exit
// status; an error is printed as one line and exits 1, as docker's do.
using Action = std::function<Result<int>(Context&)>;

// Each adder registers its verbs on `top` (docker pull) and, where Docker has one, on the
// management command `image` (docker image pull) with the same flags.
void add_pull_push_commands(CLI::App& top, CLI::App& image, Action& action);
void add_image_list_command(CLI::App& top, CLI::App& image, Action& action);
void add_image_commands(CLI::App& top, CLI::App& image, Action& action);
void add_archive_commands(CLI::App& top, CLI::App& image, Action& action);
void add_login_commands(CLI::App& top, Action& action);
void add_image_mount_commands(CLI::App& image, Action& action);
void add_container_run_commands(CLI::App& top, CLI::App& container, Action& action);
void add_container_commands(CLI::App& top, CLI::App& container, Action& action);
void add_container_list_command(CLI::App& top, CLI::App& container, Action& action);
void add_container_inspect_commands(CLI::App& top, CLI::App& container, Action& action);
void add_container_exec_command(CLI::App& top, CLI::App& container, Action& action);
void add_container_stats_command(CLI::App& top, CLI::App& container, Action& action);
void add_container_logs_command(CLI::App& top, CLI::App& container, Action& action);
void add_system_df_commands(CLI::App& system, Action& action);
void add_system_commands(CLI::App& top, CLI::App& system, Action& action);
void add_system_check_command(CLI::App& system, Action& action);
void add_volume_commands(CLI::App& top, Action& action);

// A volume as `docker volume inspect` shows it.
nlohmann::json inspect_volume_json(const engine::VolumeRecord& volume);

// Prints JSON as docker inspect does: an array, indented by four spaces, or each item through
// --format.
Result<int> print_inspect(const nlohmann::json& items, const std::string& format);

}  // namespace berth::cli
