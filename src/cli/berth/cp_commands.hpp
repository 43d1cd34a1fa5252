#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "cli/berth/commands.hpp"
#include "cli/berth/context.hpp"

namespace berth::cli {

// The root directory of a container (/proc/PID/root when it runs, its mounted rootfs when not),
// and who the container's root is as the calling process sees it: the owner docker cp gives to
// what it copies in without -a (0:0 unless user namespaces remap it).
struct ContainerRoot {
  unique_fd fd;
  uid_t uid = 0;
  gid_t gid = 0;
  // Owners under the root as the container's ids, and back (a remapped container's root shows
  // the host ids it runs as).
  engine::OwnerTranslation to_container, to_host;
};
// Given by the code that knows containers.
using ContainerRootOpener =
    std::function<Result<ContainerRoot>(Context& ctx, const std::string& container)>;

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
