#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>

#include "base/fs.hpp"
#include "cli/runtime/commands.hpp"
#include "runtime/spec.hpp"
#include "runtime/terminal_proxy.hpp"
#include "runtime/wait_child.hpp"

namespace berth::cli {

namespace {

void add_create_flags(CLI::App* cmd, runtime::CreateOptions& opts) {
  cmd->add_option("-b,--bundle", opts.bundle, "bundle directory (default: current directory)");
  cmd->add_option("--pid-file", opts.pid_file, "file to write the init pid to");
  cmd->add_option("--console-socket", opts.console_socket,
                  "unix socket that receives the pty master");
  cmd->add_flag("--no-pivot", opts.no_pivot, "use MS_MOVE and chroot instead of pivot_root");
  cmd->add_flag("--no-new-keyring", opts.no_new_keyring, "keep the caller's session keyring");
  cmd->add_option("--preserve-fds", opts.preserve_fds, "number of extra fds passed in from 3")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("id", opts.id, "container id")->required();
}

}  // namespace

void add_lifecycle_commands(CLI::App& app, runtime::RuntimeOptions& rt, Action& action) {
  static runtime::CreateOptions create_opts;
  static bool detach = false, keep = false;
  static std::string id, signal_text = "SIGTERM", spec_bundle;
  static bool all = false, force = false, spec_rootless = false;

  auto* create = app.add_subcommand("create", "create a container");
  add_create_flags(create, create_opts);
  create->callback([&] {
    action = [&]() -> Result<int> {
      BERTH_TRY(runtime::create_container(rt, create_opts));
      return 0;
    };
  });

  auto* run = app.add_subcommand("run", "create and start a container");
  add_create_flags(run, create_opts);
  run->add_flag("-d,--detach", detach, "do not wait for the container to exit");
  run->add_flag("--keep", keep, "do not delete the container after it exits");
  run->callback([&] {
    action = [&]() -> Result<int> {
      create_opts.foreground = !detach;
      // Init may be a grandchild (joined user namespace): it must come back to us to be reaped.
      if (!detach) ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
      runtime::BlockedSignals blocked;
      auto created = BERTH_TRY(runtime::create_container(rt, create_opts));
      if (auto r = runtime::start_container(rt, create_opts.id); !r) {
        (void)runtime::delete_container(rt, create_opts.id, true);
        return fail(r.error());
      }
      if (detach) return 0;
      int status = created.pty_master
                       ? runtime::proxy_terminal_until_exit(
                             created.state.pid, created.pty_master.get(), blocked.blocked())
                       : blocked.forward_until_exit(created.state.pid);
      if (!keep) BERTH_CHECK(runtime::delete_container(rt, create_opts.id, true));
      return status;
    };
  });

  auto* start = app.add_subcommand("start", "start a created container");
  start->add_option("id", id, "container id")->required();
  start->callback([&] {
    action = [&]() -> Result<int> {
      BERTH_CHECK(runtime::start_container(rt, id));
      return 0;
    };
  });

  auto* kill = app.add_subcommand("kill", "send a signal to a container's init");
  kill->add_flag("-a,--all", all, "signal every process of the container");
  kill->add_option("id", id, "container id")->required();
  kill->add_option("signal", signal_text, "signal name or number (default SIGTERM)");
  kill->callback([&] {
    action = [&]() -> Result<int> {
      int sig = BERTH_TRY(parse_signal(signal_text));
      BERTH_CHECK(runtime::kill_container(rt, id, sig, all));
      return 0;
    };
  });

  auto* del = app.add_subcommand("delete", "delete a container");
  del->alias("rm");
  del->add_flag("-f,--force", force, "kill the container first if it runs");
  del->add_option("id", id, "container id")->required();
  del->callback([&] {
    action = [&]() -> Result<int> {
      auto r = runtime::delete_container(rt, id, force);
      if (!r && r.error().message.find("does not exist") != std::string::npos) {
        // A create that died before writing its state leaves a directory behind: remove it.
        if (runtime::validate_container_id(id))
          (void)fs::remove_all(runtime::StateDir(rt.root, id).path());
        if (force) return 0;
      }
      if (!r) return fail(r.error());
      return 0;
    };
  });

  auto* pause = app.add_subcommand("pause", "freeze every process of a container");
  pause->add_option("id", id, "container id")->required();
  pause->callback([&] {
    action = [&]() -> Result<int> {
      BERTH_CHECK(runtime::pause_container(rt, id));
      return 0;
    };
  });

  auto* resume = app.add_subcommand("resume", "thaw a paused container");
  resume->add_option("id", id, "container id")->required();
  resume->callback([&] {
    action = [&]() -> Result<int> {
      BERTH_CHECK(runtime::resume_container(rt, id));
      return 0;
    };
  });

  auto* spec = app.add_subcommand("spec", "write a default config.json");
  spec->add_option("-b,--bundle", spec_bundle, "bundle directory (default: current directory)");
  spec->add_flag("--rootless", spec_rootless, "a spec for a rootless container");
  spec->callback([&] {
    action = []() -> Result<int> {
      std::string path = fs::join(spec_bundle.empty() ? "." : spec_bundle, "config.json");
      if (fs::exists(path)) return fail_msg("spec: " + quote(path) + " already exists");
      BERTH_CHECK(
          fs::write_file_atomic(path, runtime::default_spec(spec_rootless).dump(2) + "\n", 0644));
      return 0;
    };
  });
}

}  // namespace berth::cli
