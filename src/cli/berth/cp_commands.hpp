#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "cli/berth/commands.hpp"
#include "cli/berth/context.hpp"

namespace berth::cli {

// Opens the root directory of the named container (/proc/PID/root when it runs, its mounted
// rootfs when not); given by the code that knows containers.
using ContainerRootOpener =
    std::function<Result<unique_fd>(Context& ctx, const std::string& container)>;

// docker cp and docker export, on `top` and, when given, on the `container` management command.
void add_cp_commands(CLI::App& top, CLI::App* container, Action& action,
                     ContainerRootOpener open_root);

// docker cp's split of an argument: "" and arg when it is a host path (absolute, no colon, or
// starting with "."), else the container and the path after the first colon.
struct CpArg {
  std::string container;
  std::string path;
};
CpArg split_cp_arg(const std::string& arg);

}  // namespace berth::cli
