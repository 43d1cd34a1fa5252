#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "base/syscalls.hpp"
#include "cli/berth/commands.hpp"
#include "engine/container_state.hpp"
#include "engine/spec_capabilities.hpp"
#include "engine/spec_process.hpp"
#include "engine/spec_user.hpp"
#include "runtime/exe_protection.hpp"
#include "runtime/exec.hpp"

namespace berth::cli {
namespace {

struct ExecFlags {
  bool interactive = false, tty = false, detach = false, privileged = false;
  std::string user, workdir;
  std::vector<std::string> env, env_files;
};

// Keeps our stdio for after a detached exec, whose process gets /dev/null instead, as Docker's.
class NullStdio {
 public:
  NullStdio() {
    for (int fd = 0; fd <= 2; ++fd) saved_[fd] = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
    ::close(null);
  }
  ~NullStdio() {
    for (int fd = 0; fd <= 2; ++fd)
      if (saved_[fd] >= 0) ::dup2(saved_[fd], fd), ::close(saved_[fd]);
  }

 private:
  int saved_[3] = {-1, -1, -1};
};

Result<int> run_exec(Context& ctx, CLI::App& cmd, const ExecFlags& f) {
  std::vector<std::string> words = cmd.remaining();
  if (!words.empty() && words[0] == "--") words.erase(words.begin());
  if (words.size() < 2) return fail_msg("\"berth exec\" requires at least 2 arguments");
  if (words[0].size() > 1 && words[0][0] == '-') return fail_msg("unknown flag: " + words[0]);
  std::string name = words[0];
  words.erase(words.begin());
  if (f.tty && !f.detach && !::isatty(STDIN_FILENO))
    return fail_msg("the input device is not a TTY");

  engine::ContainerService* service = BERTH_TRY(ctx.containers());
  auto r = BERTH_TRY(service->get(name));
  if (engine::status_of(r.state) == "paused")
    return fail_msg("Container " + r.id + " is paused, unpause the container before exec");
  if (!engine::is_running(r.state)) return fail_msg("Container " + r.id + " is not running");
  // The container sees exec's process before it execs the command: one of its processes with
  // CAP_SYS_PTRACE could open that process's exe, berth, for writing (CVE-2019-5736). Then this
  // berth first runs again from a read-only mount of its binary. Rootless, the process is the
  // user's and not dumpable, out of reach of the container's capabilities: the stub covers it.
  // The runtime re-execs too if that changes meanwhile (an exec with CAP_SYS_PTRACE).
  runtime::RuntimeOptions rt = service->runtime_options();
  if (!ctx.rootless()) {
    if (BERTH_TRY(runtime::exec_is_traceable(rt, r.id)))
      BERTH_TRY(runtime::guard_runtime_binary(false, false, 0, ctx.argv()));
    rt.argv = ctx.argv();
  }

  runtime::ExecOptions opts;
  opts.id = r.id;
  opts.args = words;
  engine::ContainerConfig config = BERTH_TRY(engine::container_config_from_json(r.config));
  engine::HostConfig host = BERTH_TRY(engine::host_config_from_json(r.host_config));
  opts.env = engine::container_env(config);
  for (const auto& e : f.env) {
    if (e.find('=') != std::string::npos) {
      opts.env.push_back(e);
    } else if (const char* v = ::getenv(e.c_str())) {
      opts.env.push_back(e + "=" + v);
    }
  }
  opts.cwd = f.workdir.empty() ? config.working_dir : f.workdir;
  if (opts.cwd.empty()) opts.cwd = "/";
  std::string user = f.user.empty() ? config.user : f.user;
  auto root = BERTH_TRY(sys::open("/proc/" + std::to_string(engine::pid_of(r.state)) + "/root",
                                  O_PATH | O_DIRECTORY | O_CLOEXEC));
  auto resolved = BERTH_TRY(engine::resolve_user(root.get(), user, host.group_add));
  opts.user = std::to_string(resolved.uid) + ":" + std::to_string(resolved.gid);
  opts.additional_gids = resolved.additional_gids;
  opts.tty = f.tty;
  opts.detach = f.detach;
  if (f.privileged)
    opts.caps = BERTH_TRY(engine::container_capabilities({}, {}, true, ctx.rootless()));

  std::optional<NullStdio> quiet;
  if (f.detach) quiet.emplace();
  auto code = runtime::exec_in_container(rt, opts);
  quiet.reset();
  if (!code) {
    std::fprintf(stderr, "Error: %s\n", code.error().what().c_str());
    return engine::start_failure_exit_code(code.error().message);
  }
  return *code;
}

}  // namespace

void add_container_exec_command(CLI::App& top, CLI::App& container, Action& action) {
  for (CLI::App* parent : {&top, &container}) {
    auto f = std::make_shared<ExecFlags>();
    CLI::App* cmd = parent->add_subcommand("exec", "run a command in a running container");
    cmd->add_flag("-i,--interactive", f->interactive, "keep stdin open");
    cmd->add_flag("-t,--tty", f->tty, "allocate a pseudo-TTY");
    cmd->add_flag("-d,--detach", f->detach, "run the command in the background");
    cmd->add_option("-u,--user", f->user, "user[:group]");
    cmd->add_option("-w,--workdir", f->workdir, "working directory inside the container");
    cmd->add_option("-e,--env", f->env, "set environment variables")->allow_extra_args(false);
    cmd->add_flag("--privileged", f->privileged, "every capability for the command");
    cmd->prefix_command();
    cmd->callback(
        [f, cmd, &action] { action = [f, cmd](Context& c) { return run_exec(c, *cmd, *f); }; });
  }
}

}  // namespace berth::cli
