#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "base/error.hpp"
#include "runtime/container.hpp"
#include "runtime/signals.hpp"

namespace berth::cli {

using runtime::parse_signal;

// The action of a subcommand: returns the exit status, or an error to report.
using Action = std::function<Result<int>()>;

// Each file registers its subcommands and stores the action of the one that is parsed.
void add_lifecycle_commands(CLI::App& app, runtime::RuntimeOptions& rt, Action& action);
void add_exec_command(CLI::App& app, runtime::RuntimeOptions& rt, Action& action);
void add_info_commands(CLI::App& app, runtime::RuntimeOptions& rt, Action& action);
void add_update_command(CLI::App& app, runtime::RuntimeOptions& rt, Action& action);

// When argv is an exec command line, stores the words after the container id as the command
// (see exec_command_words) and returns the count of words that CLI11 should parse.
int split_exec_command(int argc, char** argv);
const std::vector<std::string>& exec_command_words();

}  // namespace berth::cli
