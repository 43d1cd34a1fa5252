#include "runtime/exec.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "runtime/cgroups/cgroup.hpp"
#include "runtime/channel.hpp"
#include "runtime/exe_protection.hpp"
#include "runtime/process_setup.hpp"
#include "runtime/terminal.hpp"
#include "runtime/wait_child.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth::runtime {

namespace {

Result<uint32_t> parse_id(const std::string& s, const std::string& what) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    return fail_msg("--user: invalid " + what + " " + quote(s) + " (numeric uid[:gid] expected)");
  return v;
}

void set_env(std::vector<std::string>& env, const std::string& entry) {
  auto eq = entry.find('=');
  std::string key = entry.substr(0, eq);
  for (auto& e : env) {
    if (e.compare(0, key.size() + 1, key + "=") == 0) {
      e = entry;
      return;
    }
  }
  env.push_back(entry);
}

Result<Process> build_process(const Spec& spec, const ExecOptions& opts) {
  if (!opts.process_file.empty()) {
    auto text = BERTH_TRY(fs::read_file(opts.process_file));
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return fail_msg(opts.process_file + ": invalid JSON");
    auto p = parse_process(j);
    if (!p) return fail(p.error().wrap(opts.process_file));
    return p;
  }
  if (opts.args.empty()) return fail_msg("exec: no command given");
  Process p = spec.process ? *spec.process : Process{};
  p.args = opts.args;
  p.terminal = opts.tty;
  p.console_size.reset();
  for (const auto& e : opts.env) set_env(p.env, e);
  if (!opts.cwd.empty()) p.cwd = opts.cwd;
  if (!opts.user.empty()) {
    auto colon = opts.user.find(':');
    p.user.uid = BERTH_TRY(parse_id(opts.user.substr(0, colon), "uid"));
    p.user.gid =
        colon == std::string::npos ? 0 : BERTH_TRY(parse_id(opts.user.substr(colon + 1), "gid"));
  }
  if (!opts.additional_gids.empty()) p.user.additional_gids = opts.additional_gids;
  if (!opts.caps.empty()) {
    if (!p.capabilities) p.capabilities = Capabilities{};
    for (auto* set :
         {&p.capabilities->bounding, &p.capabilities->effective, &p.capabilities->permitted,
          &p.capabilities->ambient, &p.capabilities->inheritable})
      for (const auto& c : opts.caps) set->push_back(c);
  }
  if (opts.no_new_privs) p.no_new_privileges = true;
  return p;
}

// The namespaces of the container's init that differ from ours: joining our own user
// namespace would fail with EINVAL.
Result<int> namespaces_to_join(pid_t pid) {
  static const std::pair<const char*, int> kTypes[] = {
      {"user", CLONE_NEWUSER},     {"mnt", CLONE_NEWNS},   {"pid", CLONE_NEWPID},
      {"net", CLONE_NEWNET},       {"ipc", CLONE_NEWIPC},  {"uts", CLONE_NEWUTS},
      {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
  int flags = 0;
  for (const auto& [name, flag] : kTypes) {
    struct stat mine, theirs;
    std::string self = std::string("/proc/self/ns/") + name;
    std::string other = "/proc/" + std::to_string(pid) + "/ns/" + name;
    if (::stat(self.c_str(), &mine) < 0) continue;  // the kernel lacks this namespace type
    if (::stat(other.c_str(), &theirs) < 0) return fail_sys("stat " + quote(other));
    if (mine.st_ino != theirs.st_ino || mine.st_dev != theirs.st_dev) flags |= flag;
  }
  return flags;
}

struct ExecContext {
  const PreparedProcess* prepared;
  int exec_stub;
  int pidfd;
  int ns_flags;
  int console_socket;
  int preserve_fds;
  bool setgroups_allowed;
  const Channel* channel;
};

[[noreturn]] void exec_child(const ExecContext& ctx) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  auto fail_with = [&](const Error& e) {
    (void)ctx.channel->send_error(e);
    ::_exit(1);
  };
  if (auto go = ctx.channel->expect(Msg::go); !go) ::_exit(1);
  if (ctx.console_socket >= 0)
    if (auto r = setup_console(ctx.console_socket, ctx.prepared->process.console_size, false); !r)
      fail_with(r.error());
  if (auto r = enter_cwd(ctx.prepared->process.cwd); !r) fail_with(r.error());
  auto executable = find_executable(ctx.prepared->process);
  if (!executable) fail_with(executable.error());
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  FinalizeOptions options;
  options.preserve_fds = ctx.preserve_fds;
  options.setgroups_allowed = ctx.setgroups_allowed;
  auto environment = process_environment(ctx.prepared->process);
  if (auto r = apply_process_security(*ctx.prepared, options); !r) fail_with(r.error());
  fail_with(exec_process(ctx.prepared->process, *executable, environment, ctx.exec_stub));
  ::_exit(1);
}

// The process must be in every namespace of the container before it can be seen in the
// container's pid namespace: with CAP_SYS_PTRACE a process there could otherwise trace it while
// it is still in the host's mount namespace. So an intermediate joins them all (the pid
// namespace for its children), clones the process as our child (CLONE_PARENT), and exits.
[[noreturn]] void exec_intermediate(const ExecContext& ctx) {
  auto fail_with = [&](const Error& e) {
    (void)ctx.channel->send_error(e);
    ::_exit(1);
  };
  if (ctx.ns_flags != 0)
    if (auto r = sys::setns(ctx.pidfd, ctx.ns_flags, "into the container's namespaces"); !r)
      fail_with(r.error());
  auto pid = sys::clone3(CLONE_PARENT, nullptr);
  if (!pid) fail_with(pid.error());
  if (*pid == 0) exec_child(ctx);
  if (auto r = ctx.channel->send(Msg::pid, std::to_string(*pid)); !r) ::_exit(1);
  ::_exit(0);
}

// Present in a container's state dir once a process with CAP_SYS_PTRACE was exec'd into it.
constexpr const char* kPtraceExecMarker = "ptrace-exec";

// Whether a process of the container could trace one of ours there (CAP_SYS_PTRACE over the
// host): the container shares our user namespace, and either processes outside it see into its
// pid namespace (none of its own), or its spec grants CAP_SYS_PTRACE, or an exec did. Decided
// from the spec and the marker, not from the running processes: a process can drop a capability
// from the sets /proc shows and keep it in a thread, and can leave its cgroup.
bool traceable_in(const StateDir& dir, const ContainerState& state, const Spec& spec,
                  int ns_flags) {
  if (ns_flags & CLONE_NEWUSER) return false;
  if (!state.new_pid_namespace || !spec.process) return true;
  if (may_ptrace_runtime(*spec.process, false)) return true;
  return ::access(dir.file(kPtraceExecMarker).c_str(), F_OK) == 0;
}

Status mark_ptrace_exec(const StateDir& dir) {
  int fd = ::open(dir.file(kPtraceExecMarker).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail_sys("record an exec with CAP_SYS_PTRACE in " + quote(dir.path()));
  ::close(fd);
  return {};
}

Result<Spec> load_spec(const StateDir& dir) {
  auto text = BERTH_TRY(fs::read_file(dir.config_file()));
  return parse_spec(nlohmann::json::parse(text, nullptr, false));
}

bool setgroups_allowed(pid_t pid) {
  auto text = fs::read_file("/proc/" + std::to_string(pid) + "/setgroups");
  return !text || text->find("deny") == std::string::npos;
}

}  // namespace

Result<int> exec_in_container(const RuntimeOptions& rt, const ExecOptions& opts) {
  auto state = BERTH_TRY(load_state(rt.root, opts.id));
  auto status = container_status(rt, state);
  if (status == ContainerStatus::paused && !opts.ignore_paused)
    return fail_msg("cannot exec in a paused container " + quote(opts.id));
  if (status == ContainerStatus::stopped)
    return fail_msg("cannot exec in a stopped container " + quote(opts.id));

  const StateDir dir(rt.root, opts.id);
  auto spec = BERTH_TRY(load_spec(dir));
  auto process = BERTH_TRY(build_process(spec, opts));
  if (process.terminal && opts.console_socket.empty() && opts.detach)
    return fail_msg("exec: a terminal in detached mode needs --console-socket");
  auto prepared = BERTH_TRY(prepare_process(process, spec.linux, seccomp_cache_dir(rt)));

  auto pidfd = BERTH_TRY(sys::pidfd_open(state.pid));
  if (!process_alive(state.pid, state.pid_start_time))
    return fail_msg(quote(opts.id) + ": container not running");
  int ns_flags = BERTH_TRY(namespaces_to_join(state.pid));
  if (state.init_runs_runtime && status == ContainerStatus::created &&
      may_ptrace_runtime(process, ns_flags & CLONE_NEWUSER))
    return fail_msg("cannot exec a process with CAP_SYS_PTRACE in " + quote(opts.id) +
                    " before it starts: its init still runs the runtime's binary");
  // Other processes of the container see this one from its start: the stub is safe only while
  // none of them can trace it. This one could trace later ones: they will not use the stub.
  bool stub_safe = !traceable_in(dir, state, spec, ns_flags);
  auto exec_stub =
      BERTH_TRY(guard_runtime_binary(stub_safe, rt.rootless, opts.preserve_fds, rt.argv));
  if (stub_safe && may_ptrace_runtime(process, ns_flags & CLONE_NEWUSER))
    BERTH_CHECK(mark_ptrace_exec(dir));
  auto cgroup = BERTH_TRY(cgroups::load(state.cgroup_paths, state.rootless));

  unique_fd console;
  if (!opts.console_socket.empty())
    console = BERTH_TRY(connect_console_socket(opts.console_socket));
  // Until it applies the container's capabilities the process has ours, and the container sees
  // it: not dumpable, it lends its /proc/PID/exe and fds only to CAP_SYS_PTRACE (the kernel
  // already refuses processes with fewer capabilities than ours).
  BERTH_CHECK(make_undumpable());
  // Joining the other namespaces takes CAP_SYS_ADMIN where we are: an unprivileged runtime
  // first joins the container's user namespace (its uid stays the same, so its host files and
  // cgroups stay writable), and the process then need not join it again.
  if (::geteuid() != 0 && (ns_flags & CLONE_NEWUSER)) {
    BERTH_CHECK(sys::setns(pidfd.get(), CLONE_NEWUSER, "into the container's user namespace"));
    ns_flags &= ~CLONE_NEWUSER;
  }

  auto [parent_end, child_end] = BERTH_TRY(Channel::make_pair());
  ExecContext ctx{&prepared,
                  exec_stub.get(),
                  pidfd.get(),
                  ns_flags,
                  console.get(),
                  opts.preserve_fds,
                  setgroups_allowed(state.pid),
                  &child_end};
  BlockedSignals blocked;
  auto intermediate = BERTH_TRY(sys::clone3(0, nullptr));
  if (intermediate == 0) {
    parent_end.close();
    exec_intermediate(ctx);
  }
  child_end.close();
  console.reset();
  pid_t pid = BERTH_TRY(reap_intermediate(
      parent_end, intermediate, "exec: the process that joins the container's namespaces"));
  // Our child (CLONE_PARENT), not reaped: the pid cannot have been reused.
  auto child = BERTH_TRY(sys::pidfd_open(pid));
  auto kill_child = [&](Error e) -> Result<int> {
    (void)sys::pidfd_send_signal(child.get(), SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return fail(e);
  };
  if (auto r = cgroup->add_process(pid); !r) return kill_child(r.error());
  if (auto r = parent_end.send(Msg::go); !r) return kill_child(r.error());
  // The channel is close-on-exec: EOF means the process was exec'd, a message means it failed.
  auto msg = parent_end.receive();
  if (msg) {
    Error e = msg->type == Msg::error ? Error{msg->errno_value, msg->payload}
                                      : plain_error("exec: unexpected message");
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return fail(e);
  }
  if (msg.error().errno_value != EPIPE) return kill_child(msg.error());
  if (!opts.pid_file.empty())
    BERTH_CHECK(fs::write_file_atomic(opts.pid_file, std::to_string(pid), 0644));
  if (opts.detach) return 0;
  return blocked.forward_until_exit(pid);
}

Result<bool> exec_is_traceable(const RuntimeOptions& rt, const std::string& id) {
  const StateDir dir(rt.root, id);
  auto state = BERTH_TRY(load_state(rt.root, id));
  // A container that is gone is exec_in_container's to report.
  if (!process_alive(state.pid, state.pid_start_time)) return false;
  auto spec = BERTH_TRY(load_spec(dir));
  int ns_flags = BERTH_TRY(namespaces_to_join(state.pid));
  return traceable_in(dir, state, spec, ns_flags);
}

}  // namespace berth::runtime
