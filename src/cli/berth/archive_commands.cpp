#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"
#include "cli/berth/commands.hpp"
#include "cli/berth/platform_flag.hpp"
#include "image/reference.hpp"

namespace berth::cli {
namespace {

struct LoadFlags {
  std::string input;
  bool quiet = false;
};

Result<unique_fd> open_input(const std::string& path) {
  if (path.empty() || path == "-") {
    if (::isatty(STDIN_FILENO) == 1)
      return fail_msg("requested load from stdin, but stdin is a terminal: use -i or redirect");
    int fd = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) return fail_sys("dup stdin");
    return unique_fd(fd);
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_sys("open " + quote(path));
  return unique_fd(fd);
}

Result<int> run_load(Context& ctx, const LoadFlags& f) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  unique_fd in = BERTH_TRY(open_input(f.input));
  auto loaded = images->load(in.get());
  if (!loaded) {
    std::string where = f.input.empty() || f.input == "-" ? "stdin" : quote(f.input);
    return fail(loaded.error().wrap("load " + where));
  }
  for (const auto& r : *loaded) {
    if (r.repo_tags.empty()) std::printf("Loaded image ID: %s\n", r.id.str().c_str());
    for (const auto& t : r.repo_tags)
      std::printf("Loaded image: %s\n", image::familiar_name(t).c_str());
  }
  return 0;
}

struct SaveFlags {
  std::vector<std::string> names;
  std::string output;
  std::string format = "docker";
};

// The archive goes to a temporary file next to the output and is renamed over it when complete,
// so that a failed save leaves no truncated archive behind.
Result<int> run_save(Context& ctx, const SaveFlags& f) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  image::ArchiveFormat format = f.format == "oci" || f.format == "oci-archive"
                                    ? image::ArchiveFormat::oci
                                    : image::ArchiveFormat::docker;
  if (f.output.empty() || f.output == "-") {
    if (::isatty(STDOUT_FILENO) == 1)
      return fail_msg("cowardly refusing to save to a terminal: use the -o flag or redirect");
    BERTH_CHECK(images->save(f.names, format, STDOUT_FILENO));
    return 0;
  }
  std::string tmp = f.output + ".berth-tmp-" + std::to_string(::getpid());
  unique_fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out) return fail_sys("create " + quote(tmp));
  auto saved = images->save(f.names, format, out.get());
  if (saved && ::fsync(out.get()) != 0) saved = fail_sys("fsync " + quote(tmp));
  if (saved && ::rename(tmp.c_str(), f.output.c_str()) != 0)
    saved = fail_sys("rename " + quote(tmp) + " to " + quote(f.output));
  if (!saved) {
    ::unlink(tmp.c_str());
    return fail(saved.error().wrap("save " + quote(f.output)));
  }
  return 0;
}

struct ImportFlags {
  std::string source;
  std::string name;
  std::vector<std::string> changes;
  std::string message;
  std::string platform;
};

Result<int> run_import(Context& ctx, const ImportFlags& f) {
  if (f.source.find("://") != std::string::npos)
    return fail_msg("import " + quote(f.source) +
                    ": only local files and - (stdin) can be imported, not URLs");
  engine::ImageService* images = BERTH_TRY(ctx.images());
  image::ImportOptions options;
  options.changes = f.changes;
  options.message = f.message;
  options.platform = BERTH_TRY(parse_platform_flag(f.platform));
  unique_fd in = BERTH_TRY(open_input(f.source));
  auto record = images->import(in.get(), options, f.name);
  if (!record) return fail(record.error().wrap("import " + quote(f.source)));
  std::printf("%s\n", record->id.str().c_str());
  return 0;
}

void add_load(CLI::App& parent, Action& action) {
  auto flags = std::make_shared<LoadFlags>();
  CLI::App* cmd = parent.add_subcommand("load", "load images from a docker save or OCI archive");
  cmd->add_option("-i,--input", flags->input, "archive file (default: stdin)");
  cmd->add_flag("-q,--quiet", flags->quiet, "no progress output");
  cmd->callback([flags, &action] { action = [flags](Context& c) { return run_load(c, *flags); }; });
}

void add_save(CLI::App& parent, Action& action) {
  auto flags = std::make_shared<SaveFlags>();
  CLI::App* cmd = parent.add_subcommand("save", "write images to an archive");
  cmd->add_option("IMAGE", flags->names, "image names or ids")->required();
  cmd->add_option("-o,--output", flags->output, "archive file (default: stdout)");
  cmd->add_option("--format", flags->format, "docker (docker-archive) or oci (oci-archive)")
      ->check(CLI::IsMember({"docker", "docker-archive", "oci", "oci-archive"}));
  cmd->callback([flags, &action] { action = [flags](Context& c) { return run_save(c, *flags); }; });
}

void add_import(CLI::App& parent, Action& action) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* cmd = parent.add_subcommand("import", "make an image from a root filesystem tarball");
  cmd->add_option("FILE", flags->source, "tarball, or - for stdin")->required();
  cmd->add_option("REPOSITORY", flags->name, "name[:tag] for the image");
  cmd->add_option("-c,--change", flags->changes, "Dockerfile instruction to apply")
      ->allow_extra_args(false);
  cmd->add_option("-m,--message", flags->message, "commit message");
  cmd->add_option("--platform", flags->platform, "os/arch[/variant] of the image");
  cmd->callback(
      [flags, &action] { action = [flags](Context& c) { return run_import(c, *flags); }; });
}

}  // namespace

void add_archive_commands(CLI::App& top, CLI::App& image, Action& action) {
  for (CLI::App* parent : {&top, &image}) {
    add_load(*parent, action);
    add_save(*parent, action);
    add_import(*parent, action);
  }
}

}  // namespace berth::cli
