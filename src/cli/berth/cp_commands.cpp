#include "cli/berth/cp_commands.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "engine/container_archive.hpp"
#include "engine/copy_paths.hpp"
#include "engine/host_copy.hpp"

namespace berth::cli {
namespace {

struct CpFlags {
  std::string source;
  std::string destination;
  bool archive = false;
  bool follow_link = false;
  bool quiet = false;
};

Error named(const Error& e, const std::string& container) {
  return engine::with_container_name(e, container);
}

Result<unique_fd> dup_std(int fd, const char* what) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return fail_sys(std::string("dup ") + what);
  return unique_fd(copy);
}

// `docker cp - CONTAINER:DEST`: a tar on stdin goes into DEST, which must be a directory.
Result<int> cp_stdin_to_container(Context& ctx, const ContainerRootOpener& open_root,
                                  const CpArg& dst, engine::ExtractOptions opts) {
  ContainerRoot root = BERTH_TRY(open_root(ctx, dst.container));
  std::string path = engine::copy_paths::container_abs(dst.path);
  auto st = engine::stat_path(root.fd.get(), path);
  if (st && S_ISLNK(st->mode)) {
    path = st->link_target;
    st = engine::stat_path(root.fd.get(), path);
  }
  if (!st || !S_ISDIR(st->mode))
    return fail_msg("destination \"" + dst.container + ":" + dst.path + "\" must be a directory");
  unique_fd in = BERTH_TRY(dup_std(STDIN_FILENO, "stdin"));
  opts.uid = root.uid;
  opts.gid = root.gid;
  opts.owner = root.to_host;
  auto status = engine::extract_to_path(root.fd.get(), path, in.get(), opts);
  if (!status) return fail(named(status.error(), dst.container));
  return 0;
}

Result<int> cp_container_to_stdout(Context& ctx, const ContainerRootOpener& open_root,
                                   const CpArg& src, bool follow_link) {
  ContainerRoot root = BERTH_TRY(open_root(ctx, src.container));
  unique_fd out = BERTH_TRY(dup_std(STDOUT_FILENO, "stdout"));
  engine::ArchiveOptions opts;
  opts.follow_link = follow_link;
  opts.owner = root.to_container;
  auto status = engine::archive_path(root.fd.get(), src.path, out.get(), opts);
  if (!status) return fail(named(status.error(), src.container));
  return 0;
}

Result<int> run_cp(Context& ctx, const ContainerRootOpener& open_root, const CpFlags& f) {
  if (f.source.empty()) return fail_msg("source can not be empty");
  if (f.destination.empty()) return fail_msg("destination can not be empty");
  CpArg src = split_cp_arg(f.source);
  CpArg dst = split_cp_arg(f.destination);
  if (src.container.empty() && dst.container.empty())
    return fail_msg("must specify at least one container source");
  if (!src.container.empty() && !dst.container.empty())
    return fail_msg("copying between containers is not supported");
  if (!src.container.empty()) {
    if (dst.path == "-") return cp_container_to_stdout(ctx, open_root, src, f.follow_link);
    ContainerRoot root = BERTH_TRY(open_root(ctx, src.container));
    auto status = engine::copy_container_to_host(root.fd.get(), src.path, f.follow_link, dst.path);
    if (!status) return fail(named(status.error(), src.container));
    return 0;
  }
  engine::ExtractOptions opts;
  opts.copy_uid_gid = f.archive;
  if (src.path == "-") return cp_stdin_to_container(ctx, open_root, dst, opts);
  ContainerRoot root = BERTH_TRY(open_root(ctx, dst.container));
  opts.uid = root.uid;
  opts.gid = root.gid;
  opts.owner = root.to_host;
  auto status =
      engine::copy_host_to_container(src.path, f.follow_link, root.fd.get(), dst.path, opts);
  if (!status) return fail(named(status.error(), dst.container));
  return 0;
}

struct ExportFlags {
  std::string container;
  std::string output;
};

// As docker save: the archive goes to a temporary file next to the output, renamed over it
// when complete, so a failed export leaves no truncated file behind.
Result<int> run_export(Context& ctx, const ContainerRootOpener& open_root, const ExportFlags& f) {
  if (f.output.empty() || f.output == "-") {
    if (::isatty(STDOUT_FILENO) == 1)
      return fail_msg("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    ContainerRoot root = BERTH_TRY(open_root(ctx, f.container));
    unique_fd out = BERTH_TRY(dup_std(STDOUT_FILENO, "stdout"));
    BERTH_CHECK(engine::export_rootfs(root.fd.get(), out.get(), root.to_container));
    return 0;
  }
  ContainerRoot root = BERTH_TRY(open_root(ctx, f.container));
  std::string tmp = f.output + ".berth-tmp-" + std::to_string(::getpid());
  unique_fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out) return fail_sys("create " + quote(tmp));
  auto exported = engine::export_rootfs(root.fd.get(), out.get());
  if (exported && ::fsync(out.get()) != 0) exported = fail_sys("fsync " + quote(tmp));
  if (exported && ::rename(tmp.c_str(), f.output.c_str()) != 0)
    exported = fail_sys("rename " + quote(tmp) + " to " + quote(f.output));
  if (!exported) {
    ::unlink(tmp.c_str());
    return fail(exported.error().wrap("export " + quote(f.output)));
  }
  return 0;
}

void add_cp(CLI::App& parent, Action& action, const ContainerRootOpener& open_root) {
  auto flags = std::make_shared<CpFlags>();
  CLI::App* cmd =
      parent.add_subcommand("cp", "copy files between a container and the local filesystem");
  cmd->add_option("SRC", flags->source, "CONTAINER:SRC_PATH, a local path, or - (a tar on stdin)")
      ->required();
  cmd->add_option("DEST", flags->destination,
                  "CONTAINER:DEST_PATH, a local path, or - (a tar on stdout)")
      ->required();
  cmd->add_flag("-a,--archive", flags->archive, "archive mode (copy all uid/gid information)");
  cmd->add_flag("-L,--follow-link", flags->follow_link, "always follow symbol link in SRC_PATH");
  cmd->add_flag("-q,--quiet", flags->quiet, "suppress progress output");
  cmd->callback([flags, &action, open_root] {
    action = [flags, open_root](Context& c) { return run_cp(c, open_root, *flags); };
  });
}

void add_export(CLI::App& parent, Action& action, const ContainerRootOpener& open_root) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* cmd =
      parent.add_subcommand("export", "export a container's filesystem as a tar archive");
  cmd->add_option("CONTAINER", flags->container, "container name or id")->required();
  cmd->add_option("-o,--output", flags->output, "write to a file, instead of STDOUT");
  cmd->callback([flags, &action, open_root] {
    action = [flags, open_root](Context& c) { return run_export(c, open_root, *flags); };
  });
}

}  // namespace

CpArg split_cp_arg(const std::string& arg) {
  if (arg.starts_with('/')) return {"", arg};
  auto colon = arg.find(':');
  if (colon == std::string::npos || arg.starts_with('.')) return {"", arg};
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

void add_cp_commands(CLI::App& top, CLI::App* container, Action& action,
                     ContainerRootOpener open_root) {
  for (CLI::App* parent : {&top, container}) {
    if (parent == nullptr) continue;
    add_cp(*parent, action, open_root);
    add_export(*parent, action, open_root);
  }
}

}  // namespace berth::cli
