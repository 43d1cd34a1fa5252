#include "cli/runtime/commands.hpp"
#include "runtime/exec.hpp"

namespace berth::cli {

namespace {

std::vector<std::string> command_words;

bool takes_value(const std::string& flag, const std::initializer_list<const char*>& flags) {
  if (flag.find('=') != std::string::npos) return false;
  for (const char* f : flags)
    if (flag == f) return true;
  return false;
}

}  // namespace

const std::vector<std::string>& exec_command_words() {
  return command_words;
}

int split_exec_command(int argc, char** argv) {
  int i = 1;
  // Global options before the subcommand.
  for (; i < argc && argv[i][0] == '-'; ++i)
    if (takes_value(argv[i], {"--root", "--log", "--log-format", "--rootless", "--criu"})) ++i;
  if (i >= argc || std::string(argv[i]) != "exec") return argc;
  for (++i; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--") {
      ++i;
      break;
    }
    if (word.size() < 2 || word[0] != '-') break;
    if (takes_value(word, {"--console-socket", "--cwd", "-e", "--env", "-u", "--user", "-g",
                           "--additional-gids", "-p", "--process", "--pid-file", "--process-label",
                           "--apparmor", "-c", "--cap", "--preserve-fds", "--cgroup"}))
      ++i;
  }
  if (i >= argc) return argc;  // no id: CLI11 reports it
  command_words.assign(argv + i + 1, argv + argc);
  return i + 1;
}

void add_exec_command(CLI::App& app, runtime::RuntimeOptions& rt, Action& action) {
  static runtime::ExecOptions opts;
  static std::string process_label, apparmor, cgroup;
  auto* exec = app.add_subcommand("exec", "run a process in a running container");
  exec->add_option("--console-socket", opts.console_socket,
                   "unix socket that receives the pty master");
  exec->add_option("--cwd", opts.cwd, "working directory in the container");
  exec->add_option("-e,--env", opts.env, "environment variable KEY=VALUE")->allow_extra_args(false);
  exec->add_flag("-t,--tty", opts.tty, "allocate a pseudo-terminal");
  exec->add_option("-u,--user", opts.user, "uid[:gid]");
  exec->add_option("-g,--additional-gids", opts.additional_gids, "additional gid")
      ->allow_extra_args(false);
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
  exec->add_option("id", opts.id, "container id")->required();
  exec->callback([&] {
    action = [&]() -> Result<int> {
      opts.args = exec_command_words();
      return runtime::exec_in_container(rt, opts);
    };
  });
}

}  // namespace berth::cli
