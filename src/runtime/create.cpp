#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "runtime/cgroups/cgroup.hpp"
#include "runtime/cgroups/device_rules.hpp"
#include "runtime/container.hpp"
#include "runtime/exe_protection.hpp"
#include "runtime/hooks.hpp"
#include "runtime/id_mappings.hpp"
#include "runtime/idmapped_mounts.hpp"
#include "runtime/init_context.hpp"
#include "runtime/rootfs.hpp"
#include "runtime/sysctl.hpp"
#include "runtime/terminal.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth::runtime {

namespace {

Result<std::string> absolute_path(const std::string& path, const std::string& what) {
  char* real = ::realpath(path.c_str(), nullptr);
  if (real == nullptr) return fail_sys(what + " " + quote(path));
  std::string out = real;
  std::free(real);
  return out;
}

bool mount_needs_idmap(const Mount& m) {
  if (!m.uid_mappings.empty() || !m.gid_mappings.empty()) return true;
  return std::any_of(m.options.begin(), m.options.end(),
                     [](const std::string& o) { return o == "idmap" || o == "ridmap"; });
}

// Undoes a half-made container when create fails at any point.
class CreateCleanup {
 public:
  explicit CreateCleanup(std::string state_dir) : state_dir_(std::move(state_dir)) {}
  ~CreateCleanup() {
    if (committed_) return;
    if (pidfd_ >= 0) {
      (void)sys::pidfd_send_signal(pidfd_, SIGKILL);
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    if (cgroup_ != nullptr) (void)cgroup_->destroy();
    (void)fs::remove_all(state_dir_);
  }
  void set_child(pid_t pid, int pidfd) {
    pid_ = pid;
    pidfd_ = pidfd;
  }
  void set_cgroup(cgroups::Cgroup* cgroup) { cgroup_ = cgroup; }
  void commit() { committed_ = true; }

 private:
  std::string state_dir_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  cgroups::Cgroup* cgroup_ = nullptr;
  bool committed_ = false;
};

Status check_spec(const Spec& spec, const NamespacePlan& plan, const CreateOptions& opts) {
  if (!spec.process) return fail_msg("process: missing, a container needs a process to run");
  if (spec.process->terminal && opts.console_socket.empty() && !opts.foreground)
    return fail_msg("process.terminal is set: --console-socket is required");
  if (!spec.process->terminal && !opts.console_socket.empty())
    return fail_msg("--console-socket given but process.terminal is false");
  if (!spec.hostname.empty() && !(plan.all_flags & CLONE_NEWUTS))
    return fail_msg("hostname: cannot be set without a new uts namespace");
  if (!spec.domainname.empty() && !(plan.all_flags & CLONE_NEWUTS))
    return fail_msg("domainname: cannot be set without a new uts namespace");
  BERTH_CHECK(validate_sysctls(spec.linux.sysctl, plan.new_flags));
  // net_cls and net_prio are cgroup v1 only, unmounted on most hosts (this one too) and gone
  // in v2: refused rather than silently ignored.
  if (spec.linux.resources && spec.linux.resources->network)
    return fail_msg("linux.resources.network: net_cls/net_prio limits are not supported");
  return {};
}

// The fifo init blocks on until `start`. Init opens it by path while it still has our
// credentials, and reopens it for writing as the container's root, which in a user namespace is
// another host uid: the fifo is writable by all, and the 0700 state dir keeps everyone else out.
Status make_exec_fifo(const std::string& path) {
  if (::mkfifo(path.c_str(), 0600) < 0) return fail_sys("mkfifo " + quote(path));
  if (::chmod(path.c_str(), 0622) < 0) return fail_sys("chmod " + quote(path));
  return {};
}

using StartedInit = std::pair<pid_t, unique_fd>;

Result<StartedInit> start_init(const InitContext& ctx, uint64_t clone_flags, Channel& parent_end,
                               int cgroup_fd) {
  int pidfd = -1;
  auto pid = BERTH_TRY(sys::clone3(clone_flags, &pidfd, cgroup_fd));
  if (pid == 0) {
    parent_end.close();
    init_main(ctx);
  }
  return StartedInit{pid, unique_fd(pidfd)};
}

// New namespaces must belong to the joined user namespace, so they are made after joining it,
// by an intermediate process; a new pid namespace then takes one more fork. The intermediate
// reports init's pid and exits: init is reparented to our subreaper (or to us, with `run`).
Result<StartedInit> start_init_in_joined_userns(const InitContext& ctx, uint64_t clone_flags,
                                                Channel& parent_end, int cgroup_fd) {
  auto intermediate = BERTH_TRY(sys::clone3(0, nullptr, cgroup_fd));
  if (intermediate == 0) {
    parent_end.close();
    auto fail_with = [&](const Error& e) {
      (void)ctx.channel->send_error(e);
      ::_exit(1);
    };
    if (auto r = join_namespaces(ctx.plan.joins, CLONE_NEWUSER); !r) fail_with(r.error());
    if (clone_flags != 0 && ::unshare(static_cast<int>(clone_flags)) < 0)
      fail_with(sys_error("unshare namespaces in the joined user namespace"));
    auto pid = sys::clone3(0, nullptr);
    if (!pid) fail_with(pid.error());
    if (*pid == 0) init_main(ctx);
    (void)ctx.channel->send(Msg::pid, std::to_string(*pid));
    ::_exit(0);
  }
  pid_t pid = BERTH_TRY(reap_intermediate(parent_end, intermediate,
                                          "create: the process that joins the user namespace"));
  auto pidfd = BERTH_TRY(sys::pidfd_open(pid));
  return StartedInit{pid, std::move(pidfd)};
}

// Lets init go on: its pid as the host sees it, and the idmapped mounts made here, by fd.
Status send_go(const Channel& channel, const Spec& spec, const std::string& bundle,
               const NamespacePlan& plan, pid_t pid) {
  std::vector<unique_fd> mount_fds;
  nlohmann::json mount_indexes = nlohmann::json::array();
  std::vector<int> raw_fds;
  if (std::any_of(spec.mounts.begin(), spec.mounts.end(), mount_needs_idmap)) {
    unique_fd userns;
    if (plan.new_user)
      userns = BERTH_TRY(sys::open("/proc/" + std::to_string(pid) + "/ns/user", O_RDONLY));
    mount_fds = BERTH_TRY(prepare_idmapped_mounts(spec, bundle, userns.get()));
    for (size_t i = 0; i < mount_fds.size(); ++i) {
      if (!mount_fds[i]) continue;
      mount_indexes.push_back(i);
      raw_fds.push_back(mount_fds[i].get());
    }
  }
  nlohmann::json go = {{"pid", pid}, {"mounts", mount_indexes}};
  return channel.send(Msg::go, go.dump(), raw_fds);
}

// Serves init until it is ready: the prestart and createRuntime hooks run here, on the host.
Status await_ready(const Channel& channel, const Spec& spec, ContainerState& state, pid_t pid) {
  for (;;) {
    auto msg = channel.receive();
    if (!msg) {
      if (msg.error().errno_value == EPIPE) return fail_msg("container init exited during setup");
      return fail(msg.error());
    }
    if (msg->type == Msg::error) return fail(Error{msg->errno_value, msg->payload});
    if (msg->type == Msg::ready) return {};
    if (msg->type != Msg::run_hooks) return fail_msg("sync channel: unexpected message from init");
    state.pid = pid;
    auto hook_state = state_json(state, ContainerStatus::creating).dump();
    BERTH_CHECK(run_hooks(spec.hooks.prestart, "prestart", hook_state));
    BERTH_CHECK(run_hooks(spec.hooks.create_runtime, "createRuntime", hook_state));
    BERTH_CHECK(channel.send(Msg::hooks_done));
  }
}

}  // namespace

Result<CreatedContainer> create_container(const RuntimeOptions& rt, const CreateOptions& opts) {
  BERTH_CHECK(validate_container_id(opts.id));
  auto bundle = BERTH_TRY(absolute_path(opts.bundle.empty() ? "." : opts.bundle, "bundle"));
  auto spec = BERTH_TRY(load_spec(bundle));
  auto plan = BERTH_TRY(plan_namespaces(spec.linux));
  BERTH_CHECK(check_spec(spec, plan, opts));
  // With the stub, init runs the runtime's binary until start: only a pid namespace of its own
  // keeps others from seeing it, and only without CAP_SYS_PTRACE can the container not reach it.
  const bool stub_safe = plan.new_pid && !plan.join_pid &&
                         !may_ptrace_runtime(*spec.process, plan.new_user || plan.join_user);
  auto exec_stub =
      BERTH_TRY(guard_runtime_binary(stub_safe, rt.rootless, opts.preserve_fds, rt.argv));
  std::string rootfs = spec.root_path[0] == '/' ? spec.root_path : fs::join(bundle, spec.root_path);
  rootfs = BERTH_TRY(absolute_path(rootfs, "rootfs"));
  auto prepared = BERTH_TRY(prepare_process(*spec.process, spec.linux, seccomp_cache_dir(rt)));
  BERTH_CHECK(check_rootfs_config(spec, bundle));
  // Opened before the cleanup guard exists, so the guard never outlives it.
  auto cgroup =
      BERTH_TRY(cgroups::open(spec.linux.cgroups_path, opts.id, rt.rootless, rt.systemd_cgroup));

  BERTH_CHECK(claim_state_dir(rt.root, opts.id));
  StateDir dir(rt.root, opts.id);
  CreateCleanup cleanup(dir.path());
  BERTH_CHECK(fs::write_file_atomic(
      dir.config_file(), BERTH_TRY(fs::read_file(fs::join(bundle, "config.json"))), 0600));
  BERTH_CHECK(make_exec_fifo(dir.exec_fifo()));

  unique_fd console, console_peer;
  if (!opts.console_socket.empty()) {
    console = BERTH_TRY(connect_console_socket(opts.console_socket));
  } else if (spec.process->terminal) {
    // Foreground run: we are the console socket's other end ourselves.
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
      return fail_sys("socketpair for the terminal");
    console = unique_fd(pair[0]);
    console_peer = unique_fd(pair[1]);
  }

  ContainerState state;
  state.id = opts.id;
  state.bundle = bundle;
  state.rootfs = rootfs;
  state.owner = ::geteuid();
  state.rootless = rt.rootless;
  state.new_pid_namespace = plan.new_pid;
  state.init_runs_runtime = exec_stub.valid();
  state.cgroups_path = spec.linux.cgroups_path;
  state.annotations = spec.annotations;
  state.oci_version = spec.oci_version;
  state.poststart = spec.hooks.poststart;
  state.poststop = spec.hooks.poststop;
  state.created = rfc3339_now();

  InitContext ctx;
  ctx.spec = &spec;
  ctx.process = &prepared;
  ctx.plan = plan;
  ctx.id = opts.id;
  ctx.bundle = bundle;
  ctx.rootfs = rootfs;
  ctx.exec_fifo = dir.exec_fifo();
  ctx.state_json = state_json(state, ContainerStatus::creating).dump();
  ctx.console_socket = console.get();
  ctx.exec_stub = exec_stub.get();
  ctx.preserve_fds = opts.preserve_fds;
  ctx.no_pivot = opts.no_pivot;
  ctx.no_new_keyring = opts.no_new_keyring;
  ctx.setgroups_allowed =
      !plan.new_user || ::geteuid() == 0 || !maps_only_own_id(spec.linux.gid_mappings, ::getegid());

  if (plan.join_pid) {
    for (const auto& ns : plan.joins)
      if (ns.type == "pid") BERTH_CHECK(join_namespaces({ns}, CLONE_NEWPID));
  }
  auto [parent_end, child_end] = BERTH_TRY(Channel::make_pair());
  ctx.channel = &child_end;

  uint64_t clone_flags = plan.new_flags & ~static_cast<uint64_t>(CLONE_NEWTIME | CLONE_NEWCGROUP);
  // On pure cgroup v2 init is cloned straight into its cgroup (CLONE_INTO_CGROUP): no move,
  // so no wait for the kernel's grace period. Elsewhere it is moved while it mounts its root.
  bool clone_into_cgroup = false;
  unique_fd cgroup_fd;
  if (cgroup->mode() == cgroups::Mode::v2) {
    BERTH_CHECK(cgroup->create());
    cleanup.set_cgroup(cgroup.get());
    cgroup_fd = unique_fd(BERTH_TRY(cgroup->open_v2_dir_fd()));
    clone_into_cgroup = cgroup_fd.get() >= 0;
  }
  // Before init exists: born in a shared pid namespace (or none of its own) it is seen at once,
  // and its /proc/PID/root is the host's root until pivot_root. The kernel already keeps out a
  // process with fewer capabilities than ours; not dumpable, only CAP_SYS_PTRACE gets in, also
  // where the runtime itself runs with fewer capabilities. Without CAP_SYS_PTRACE we could not
  // open init's /proc files ourselves (send_go opens its user namespace). Rootless must stay
  // dumpable: newuidmap writes a child's maps only while its /proc files are the user's.
  if (!rt.rootless && have_cap_sys_ptrace()) BERTH_CHECK(make_undumpable());
  auto started = BERTH_TRY(
      plan.join_user ? start_init_in_joined_userns(ctx, clone_flags, parent_end, cgroup_fd.get())
                     : start_init(ctx, clone_flags, parent_end, cgroup_fd.get()));
  cgroup_fd.reset();
  pid_t pid = started.first;
  unique_fd child_pidfd = std::move(started.second);
  cleanup.set_child(pid, child_pidfd.get());
  child_end.close();
  console.reset();

  if (plan.new_user)
    BERTH_CHECK(write_id_mappings(pid, spec.linux.uid_mappings, spec.linux.gid_mappings));
  // Written from here: once init is root of a user namespace, its /proc files are no longer its.
  if (spec.process->oom_score_adj)
    BERTH_CHECK(fs::write_file("/proc/" + std::to_string(pid) + "/oom_score_adj",
                               std::to_string(*spec.process->oom_score_adj)));

  BERTH_CHECK(send_go(parent_end, spec, bundle, plan, pid));

  // Moving a task into a cgroup (cgroup.procs) waits for an RCU grace period (milliseconds): it is
  // done while init mounts its root, and init waits for it before anything of the container runs.
  if (!clone_into_cgroup) {
    BERTH_CHECK(cgroup->create());
    cleanup.set_cgroup(cgroup.get());
    BERTH_CHECK(cgroup->add_process(pid));
  }
  Resources resources = spec.linux.resources.value_or(Resources{});
  resources.devices = cgroups::container_device_rules(resources.devices, spec.linux.devices);
  BERTH_CHECK(cgroup->apply(resources));
  state.cgroup_paths = cgroup->paths();
  BERTH_CHECK(parent_end.send(Msg::cgroups_done));

  BERTH_CHECK(await_ready(parent_end, spec, state, pid));

  state.pid = pid;
  state.pid_start_time = process_start_time(pid);
  BERTH_CHECK(save_state(dir, state));
  if (!opts.pid_file.empty())
    BERTH_CHECK(fs::write_file_atomic(opts.pid_file, std::to_string(pid), 0644));
  unique_fd pty_master;
  if (console_peer) pty_master = BERTH_TRY(receive_console_fd(console_peer.get()));
  cleanup.commit();
  return CreatedContainer{std::move(state), std::move(child_pidfd), std::move(pty_master)};
}

}  // namespace berth::runtime
