#include <cstdio>

#include "cli/berth/commands.hpp"
#include "cli/berth/platform_flag.hpp"
#include "cli/berth/progress_printer.hpp"
#include "image/reference.hpp"

namespace berth::cli {
namespace {

struct PullFlags {
  std::string name;
  std::string platform;
  bool quiet = false;
};

Result<int> run_pull(Context& ctx, const PullFlags& f) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  image::Platform platform = BERTH_TRY(parse_platform_flag(f.platform));
  ProgressPrinter printer(stdout);
  auto pulled = BERTH_TRY(images->pull(f.name, platform, f.quiet ? nullptr : &printer));
  if (!f.quiet) {
    std::string shown = pulled.reference.familiar();
    std::printf("Status: %s for %s\n",
                pulled.up_to_date ? "Image is up to date" : "Downloaded newer image",
                shown.c_str());
  }
  std::printf("%s\n", pulled.reference.str().c_str());
  return 0;
}

struct PushFlags {
  std::string name;
  bool quiet = false;
};

Result<int> run_push(Context& ctx, const PushFlags& f) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  image::Reference ref = BERTH_TRY(image::parse_reference(f.name));
  ProgressPrinter printer(stdout);
  BERTH_CHECK(images->push(f.name, f.quiet ? nullptr : &printer));
  // Without --quiet the progress ends with docker's "TAG: digest: ... size: N" line.
  if (f.quiet) std::printf("%s\n", ref.str().c_str());
  return 0;
}

void add_pull(CLI::App& parent, Action& action) {
  auto flags = std::make_shared<PullFlags>();
  CLI::App* cmd = parent.add_subcommand("pull", "download an image from a registry");
  cmd->add_option("NAME", flags->name, "image name[:tag|@digest]")->required();
  cmd->add_option("--platform", flags->platform, "os/arch[/variant] to pull from an index");
  cmd->add_flag("-q,--quiet", flags->quiet, "print only the image's name");
  cmd->callback([flags, &action] { action = [flags](Context& c) { return run_pull(c, *flags); }; });
}

void add_push(CLI::App& parent, Action& action) {
  auto flags = std::make_shared<PushFlags>();
  CLI::App* cmd = parent.add_subcommand("push", "upload an image to a registry");
  cmd->add_option("NAME", flags->name, "image name[:tag]")->required();
  cmd->add_flag("-q,--quiet", flags->quiet, "no progress output");
  cmd->callback([flags, &action] { action = [flags](Context& c) { return run_push(c, *flags); }; });
}

}  // namespace

void add_pull_push_commands(CLI::App& top, CLI::App& image, Action& action) {
  for (CLI::App* parent : {&top, &image}) {
    add_pull(*parent, action);
    add_push(*parent, action);
  }
}

}  // namespace berth::cli
