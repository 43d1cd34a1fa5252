#include "cli/runtime/commands.hpp"
#include "runtime/exec.hpp"

namespace berth::cli {

void add_exec_command(CLI::App& app, runtime::RuntimeOptions& rt, Action& action) {
  static runtime::ExecOptions opts;
  static std::vector<std::string> rest;
  static std::string process_label, apparmor, cgroup;
  auto* exec = app.add_subcommand("exec", "run a process in a running container");
  exec->add_option("--console-socket", opts.console_socket, "unix socket that receives the pty master");
  exec->add_option("--cwd", opts.cwd, "working directory in the container");
  exec->add_option("-e,--env", opts.env, "environment variable KEY=VALUE")->allow_extra_args(false);
  exec->add_flag("-t,--tty", opts.tty, "allocate a pseudo-terminal");
  exec->add_option("-u,--user", opts.user, "uid[:gid]");
  exec->add_option("-g,--additional-gids", opts.additional_gids, "additional gid")->allow_extra_args(false);
  exec->add_option("-p,--process", opts.process_file, "process.json to run");
  exec->add_flag("-d,--detach", opts.detach, "do not wait for the process");
  exec->add_option("--pid-file", opts.pid_file, "file to write the process pid to");
  exec->add_option("--process-label", process_label, "ignored: no SELinux");
  exec->add_option("--apparmor", apparmor, "ignored: no AppArmor");
  exec->add_flag("--no-new-privs", opts.no_new_privs, "set no_new_privs");
  exec->add_option("-c,--cap", opts.caps, "add a capability")->allow_extra_args(false);
  exec->add_option("--preserve-fds", opts.preserve_fds, "number of extra fds passed in from 3");
  exec->add_option("--cgroup", cgroup, "ignored: the process joins the container's cgroup");
  exec->add_flag("--ignore-paused", opts.ignore_paused, "exec even if the container is paused");
  // Everything from the container id on is the id and the command, flags included.
  exec->prefix_command();
  exec->callback([&, exec] {
    rest = exec->remaining();
    action = [&]() -> Result<int> {
      if (rest.empty()) return fail_msg("exec: a container id is required");
      std::vector<std::string> args = rest;
      opts.id = args.front();
      opts.args.assign(args.begin() + 1, args.end());
      return runtime::exec_in_container(rt, opts);
    };
  });
}

}  // namespace berth::cli
