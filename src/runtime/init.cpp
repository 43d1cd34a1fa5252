#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "runtime/hooks.hpp"
#include "runtime/init_context.hpp"
#include "runtime/rootfs.hpp"
#include "runtime/sysctl.hpp"
#include "runtime/terminal.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth::runtime {

namespace {

Status become_namespace_root() {
  if (::setresgid(0, 0, 0) < 0) return fail_sys("setresgid 0 in the user namespace");
  if (::setresuid(0, 0, 0) < 0) return fail_sys("setresuid 0 in the user namespace");
  return {};
}

Status enter_time_namespace(const Linux& linux_config) {
  if (::unshare(CLONE_NEWTIME) < 0) return fail_sys("unshare time namespace");
  std::string offsets;
  for (const auto& [clock, off] : linux_config.time_offsets)
    offsets += clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
  if (!offsets.empty()) BERTH_CHECK(fs::write_file("/proc/self/timens_offsets", offsets));
  return {};
}

Status set_names(const Spec& spec) {
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
    return fail_sys("sethostname " + quote(spec.hostname));
  if (!spec.domainname.empty() &&
      ::setdomainname(spec.domainname.data(), spec.domainname.size()) < 0)
    return fail_sys("setdomainname " + quote(spec.domainname));
  return {};
}

Status join_session_keyring(const std::string& id) {
  std::string name = "_ses." + id;
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str()) < 0 && errno != ENOSYS &&
      errno != EACCES && errno != EPERM)
    return fail_sys("join session keyring");
  return {};
}

Status enter_cgroup_namespace(const Channel& channel) {
  BERTH_TRY(channel.expect(Msg::cgroups_done));
  if (::unshare(CLONE_NEWCGROUP) < 0) return fail_sys("unshare cgroup namespace");
  return {};
}

struct ExecFifo {
  unique_fd path_fd;  // O_PATH, opened before the root changed
  unique_fd proc_fd;  // the host's /proc, to reopen it through
};

// Everything from the go of the runtime to the wait for `start`.
Result<ExecFifo> prepare(const InitContext& ctx, const nlohmann::json& go,
                         const std::vector<unique_fd>& go_fds, const std::string& state_json) {
  const Spec& spec = *ctx.spec;
  const NamespacePlan& plan = ctx.plan;
  // The fifo is opened by path now, with the runtime's credentials and the host's filesystem;
  // it is reopened for writing later through this /proc, which the container may not have.
  ExecFifo fifo;
  fifo.path_fd = BERTH_TRY(sys::open(ctx.exec_fifo, O_PATH));
  fifo.proc_fd = BERTH_TRY(sys::open("/proc", O_PATH | O_DIRECTORY));
  if (plan.new_user || plan.join_user) BERTH_CHECK(become_namespace_root());
  BERTH_CHECK(join_namespaces(plan.joins, ~static_cast<uint64_t>(CLONE_NEWPID | CLONE_NEWUSER)));
  if (plan.new_flags & CLONE_NEWTIME) BERTH_CHECK(enter_time_namespace(spec.linux));
  if (plan.all_flags & CLONE_NEWUTS) BERTH_CHECK(set_names(spec));
  if (!ctx.no_new_keyring) BERTH_CHECK(join_session_keyring(ctx.id));

  RootfsContext rootfs;
  rootfs.spec = &spec;
  rootfs.bundle = ctx.bundle;
  rootfs.rootfs = ctx.rootfs;
  rootfs.new_user_namespace = plan.new_user || plan.join_user;
  rootfs.new_network_namespace = plan.new_flags & CLONE_NEWNET;
  rootfs.no_pivot = ctx.no_pivot;
  rootfs.prepared_mount_fds.assign(spec.mounts.size(), -1);
  // One fd per mount that needed an idmapped tree, in the order of the indexes.
  const auto& indexes = go.at("mounts");
  for (size_t k = 0; k < indexes.size() && k < go_fds.size(); ++k) {
    size_t i = indexes[k].get<size_t>();
    if (i < spec.mounts.size()) rootfs.prepared_mount_fds[i] = go_fds[k].get();
  }

  // A cgroup namespace roots at the cgroup we are in when it is made, and the cgroup filesystem
  // mounted in it shows that root: both wait until the runtime has moved us. Otherwise the move
  // (it waits for an RCU grace period) goes on while we mount the root.
  bool new_cgroupns = plan.new_flags & CLONE_NEWCGROUP;
  if (new_cgroupns) BERTH_CHECK(enter_cgroup_namespace(*ctx.channel));
  // With a mount namespace, made or joined, the root is set up in it and pivoted into; with
  // none, no mount may touch the host's namespace: the process is only chrooted.
  const bool mount_ns = plan.all_flags & CLONE_NEWNS;
  unique_fd root;
  if (mount_ns) root = BERTH_TRY(mount_rootfs(rootfs));
  if (!new_cgroupns) BERTH_TRY(ctx.channel->expect(Msg::cgroups_done));
  if (mount_ns) BERTH_CHECK(populate_dev(rootfs, root.get()));
  root.reset();
  if (!spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty()) {
    BERTH_CHECK(ctx.channel->send(Msg::run_hooks));
    BERTH_TRY(ctx.channel->expect(Msg::hooks_done));
  }
  BERTH_CHECK(run_hooks(spec.hooks.create_container, "createContainer", state_json));
  if (mount_ns) {
    BERTH_CHECK(enter_rootfs(rootfs));
  } else if (::chroot(ctx.rootfs.c_str()) < 0 || ::chdir("/") < 0) {
    return fail_sys("chroot " + quote(ctx.rootfs));
  }
  BERTH_CHECK(apply_sysctls(spec.linux.sysctl));
  if (mount_ns) BERTH_CHECK(finish_rootfs(rootfs));
  if (ctx.console_socket >= 0)
    BERTH_CHECK(setup_console(ctx.console_socket, ctx.process->process.console_size, true));
  BERTH_CHECK(enter_cwd(ctx.process->process.cwd));
  return fifo;
}

// Blocks until `start` opens the fifo for reading; the byte written later releases `start`.
Result<unique_fd> wait_for_start(const ExecFifo& fifo) {
  return sys::openat(fifo.proc_fd.get(), "self/fd/" + std::to_string(fifo.path_fd.get()), O_WRONLY);
}

// Before "ready" the runtime is listening and reports the error; if it is gone, it is aborting
// and says why itself. After "ready" it may have exited: the container's stderr gets the line.
[[noreturn]] void die_before_ready(const InitContext& ctx, const Error& e) {
  (void)ctx.channel->send_error(e);
  ::_exit(1);
}

[[noreturn]] void die_after_ready(const Error& e, int status) {
  std::string line = "berth-runtime: " + e.what() + "\n";
  (void)!::write(2, line.data(), line.size());
  ::_exit(status);
}

}  // namespace

void init_main(const InitContext& ctx) {
  // With a joined user namespace our parent is an intermediate that exits at once.
  if (!ctx.plan.join_user) ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  auto go_msg = ctx.channel->expect(Msg::go);
  if (!go_msg) die_before_ready(ctx, go_msg.error());
  // Not dumpable until exec: no process in the container may open /proc/1/exe or our memory.
  // (A rootful runtime made us so from birth; rootless only now, as newuidmap had to open our
  // uid_map, which a non-dumpable process hides.)
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  auto go = nlohmann::json::parse(go_msg->payload, nullptr, false);
  if (!go.is_object() || !go.contains("pid") || !go.contains("mounts"))
    die_before_ready(ctx, plain_error("sync channel: malformed go message"));
  // The hooks want our pid as the host sees it, which only the runtime knows.
  auto state = nlohmann::json::parse(ctx.state_json);
  state["pid"] = go["pid"];
  const std::string creating = state.dump();
  auto fifo = prepare(ctx, go, go_msg->fds, creating);
  if (!fifo) die_before_ready(ctx, fifo.error());
  auto executable = find_executable(ctx.process->process);
  if (!executable) die_before_ready(ctx, executable.error());
  auto environment = process_environment(ctx.process->process);
  FinalizeOptions options;
  options.preserve_fds = ctx.preserve_fds;
  options.setgroups_allowed = ctx.setgroups_allowed;
  options.container_state_json = creating;
  if (auto r = apply_process_security(*ctx.process, options); !r) die_before_ready(ctx, r.error());
  // From here on the runtime may exit (create): its death must not kill us.
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (auto r = ctx.channel->write_plain(Msg::ready); !r) ::_exit(1);
  auto started = wait_for_start(*fifo);
  if (!started) die_after_ready(started.error(), 1);
  *fifo = ExecFifo{};
  state["status"] = "created";
  if (auto r = run_hooks(ctx.spec->hooks.start_container, "startContainer", state.dump()); !r)
    die_after_ready(r.error(), 1);
  // `start` reads this after the startContainer hooks, then waits for the end of the fifo,
  // which comes when execve closes it (close-on-exec): poststart follows the process's exec.
  if (auto r = sys::write_all(started->get(), "0", 1); !r) die_after_ready(r.error(), 1);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  Error e = exec_process(ctx.process->process, *executable, environment, ctx.exec_stub);
  die_after_ready(e, e.errno_value == ENOENT ? 127 : 126);
}

}  // namespace berth::runtime
