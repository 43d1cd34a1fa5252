#include "runtime/seccomp.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>

#include "base/syscalls.hpp"
#include "base/unique_fd.hpp"
#include "runtime/seccomp_enosys.hpp"
#include "runtime/seccomp_names.hpp"

namespace berth::runtime {

namespace {

namespace names = seccomp_names;

constexpr unsigned max_args = 6;  // syscall arguments a rule can compare

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

std::string syscall_field(size_t i) {
  return "linux.seccomp.syscalls[" + std::to_string(i) + "]";
}

// An OCI action name (and errnoRet) as a libseccomp action value.
Result<uint32_t> resolve_action(const std::string& name, const std::optional<unsigned>& errno_ret,
                                const std::string& action_field, const std::string& errno_field) {
  const names::Action* action = names::find_action(name);
  if (!action) return fail_msg(action_field + ": unknown action " + quote(name));
  if (!action->takes_errno) {
    if (errno_ret) return fail_msg(errno_field + ": not allowed with action " + quote(name));
    return action->value;
  }
  const unsigned value = errno_ret.value_or(EPERM);
  if (value > 0xffff) {
    return fail_msg(errno_field + ": " + std::to_string(value) + " is out of range (0-65535)");
  }
  return action->value | value;
}

Result<std::vector<scmp_arg_cmp>> resolve_args(const SeccompSyscall& rule, const std::string& field,
                                               bool& split) {
  std::vector<scmp_arg_cmp> conditions;
  conditions.reserve(rule.args.size());
  std::array<unsigned, max_args> per_index{};
  split = false;
  for (size_t j = 0; j < rule.args.size(); ++j) {
    const SeccompArg& arg = rule.args[j];
    const std::string arg_field = field + ".args[" + std::to_string(j) + "]";
    if (arg.index >= max_args) {
      return fail_msg(arg_field + ".index: " + std::to_string(arg.index) +
                      " is out of range (0-5)");
    }
    auto op = names::find(names::operators(), arg.op);
    if (!op) return fail_msg(arg_field + ".op: unknown operator " + quote(arg.op));
    // For SCMP_CMP_MASKED_EQ, libseccomp takes the mask first and the datum second, which is
    // the order of the spec's value and valueTwo.
    conditions.push_back(
        scmp_arg_cmp{arg.index, static_cast<scmp_compare>(*op), arg.value, arg.value_two});
    if (++per_index[arg.index] > 1) split = true;
  }
  return conditions;
}

Status add_rule(void* ctx, size_t i, const SeccompSyscall& rule, uint32_t action,
                const std::vector<scmp_arg_cmp>& conditions, bool split) {
  for (const auto& name : rule.names) {
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;
    auto add = [&](unsigned count, const scmp_arg_cmp* conds) -> Status {
      const int rc = seccomp_rule_add_array(ctx, action, nr, count, conds);
      if (rc < 0) return fail(sys_error(-rc, syscall_field(i) + ": add rule for " + quote(name)));
      return {};
    };
    if (!split) {
      BERTH_CHECK(add(static_cast<unsigned>(conditions.size()), conditions.data()));
      continue;
    }
    // libseccomp refuses two comparisons of one argument in a rule: like runc, fall back to one
    // rule per comparison.
    for (const auto& condition : conditions) BERTH_CHECK(add(1, &condition));
  }
  return {};
}

Status set_attr(void* ctx, scmp_filter_attr attr, uint32_t value, const char* what) {
  const int rc = seccomp_attr_set(ctx, attr, value);
  if (rc < 0) return fail(sys_error(-rc, std::string("seccomp_attr_set ") + what));
  return {};
}

Result<std::vector<sock_filter>> export_bpf(void* ctx) {
  const int fd = ::memfd_create("berth-seccomp", MFD_CLOEXEC);
  if (fd < 0) return fail_sys("memfd_create \"berth-seccomp\"");
  unique_fd memfd(fd);
  const int rc = seccomp_export_bpf(ctx, memfd.get());
  if (rc < 0) return fail(sys_error(-rc, "seccomp_export_bpf"));
  struct stat st {};
  if (::fstat(memfd.get(), &st) < 0) return fail_sys("fstat \"berth-seccomp\"");
  const size_t size = static_cast<size_t>(st.st_size);
  if (size % sizeof(sock_filter) != 0) {
    return fail_msg("seccomp_export_bpf: " + std::to_string(size) +
                    " bytes is not a whole BPF program");
  }
  std::vector<sock_filter> filter(size / sizeof(sock_filter));
  auto* out = reinterpret_cast<char*>(filter.data());
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(memfd.get(), out + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys("read \"berth-seccomp\"");
    if (n == 0) return fail_msg("read \"berth-seccomp\": unexpected end of file");
    done += static_cast<size_t>(n);
  }
  return filter;
}

std::vector<std::string> names_of(std::span<const names::Named> table) {
  std::vector<std::string> out;
  out.reserve(table.size());
  for (const auto& entry : table) out.emplace_back(entry.name);
  return out;
}

}  // namespace

Result<SeccompProgram> compile_seccomp(const Seccomp& seccomp) {
  if (seccomp.default_action.empty()) return fail_msg("linux.seccomp.defaultAction: required");
  const uint32_t default_action =
      BERTH_TRY(resolve_action(seccomp.default_action, seccomp.default_errno_ret,
                               "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet"));
  // The process that loads the filter still has to reach execve: notifying on every syscall would
  // leave it waiting for an agent it has not handed the listener to yet.
  if (default_action == SCMP_ACT_NOTIFY) {
    return fail_msg("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  }

  SeccompProgram program;
  for (size_t i = 0; i < seccomp.flags.size(); ++i) {
    auto flag = names::find(names::flags(), seccomp.flags[i]);
    if (!flag) {
      return fail_msg("linux.seccomp.flags[" + std::to_string(i) + "]: unknown flag " +
                      quote(seccomp.flags[i]));
    }
    program.flags |= *flag;
  }

  Context ctx(seccomp_init(default_action));
  if (!ctx) {
    return fail_msg("linux.seccomp.defaultAction: libseccomp rejects " +
                    quote(seccomp.default_action));
  }
  // The runtime sets no_new_privs itself, when the spec asks for it.
  BERTH_CHECK(set_attr(ctx.get(), SCMP_FLTATR_CTL_NNP, 0, "SCMP_FLTATR_CTL_NNP"));
  // A binary tree of syscall numbers: fewer BPF instructions run per syscall with long lists.
  BERTH_CHECK(set_attr(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2, "SCMP_FLTATR_CTL_OPTIMIZE"));

  std::vector<uint32_t> arch_tokens = {seccomp_arch_native()};
  for (size_t i = 0; i < seccomp.architectures.size(); ++i) {
    const std::string field = "linux.seccomp.architectures[" + std::to_string(i) + "]";
    auto arch = names::find(names::architectures(), seccomp.architectures[i]);
    if (!arch) return fail_msg(field + ": unknown architecture " + quote(seccomp.architectures[i]));
    const int rc = seccomp_arch_add(ctx.get(), *arch);
    if (rc == -EDOM) {
      return fail_msg(field + ": " + quote(seccomp.architectures[i]) +
                      " has another byte order than the native architecture");
    }
    if (rc < 0 && rc != -EEXIST) {
      return fail(sys_error(-rc, field + ": add architecture " + quote(seccomp.architectures[i])));
    }
    if (rc == 0) arch_tokens.push_back(*arch);
  }

  for (size_t i = 0; i < seccomp.syscalls.size(); ++i) {
    const SeccompSyscall& rule = seccomp.syscalls[i];
    const std::string field = syscall_field(i);
    if (rule.names.empty()) return fail_msg(field + ".names: must not be empty");
    const uint32_t action = BERTH_TRY(
        resolve_action(rule.action, rule.errno_ret, field + ".action", field + ".errnoRet"));
    bool split = false;
    const auto conditions = BERTH_TRY(resolve_args(rule, field, split));
    if (action == default_action) continue;
    if (action == SCMP_ACT_NOTIFY) program.needs_listener = true;
    BERTH_CHECK(add_rule(ctx.get(), i, rule, action, conditions, split));
  }

  if (program.needs_listener) {
    if (seccomp.listener_path.empty()) {
      return fail_msg("linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY");
    }
    program.flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // The kernel refuses TSYNC with a listener unless a failed sync reports ESRCH.
    if (program.flags & SECCOMP_FILTER_FLAG_TSYNC) program.flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else {
    // Only meaningful for notifications, and the kernel refuses it without a listener.
    program.flags &= ~static_cast<unsigned>(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  }

  const bool permissive = default_action == SCMP_ACT_ALLOW || default_action == SCMP_ACT_LOG ||
                          default_action == SCMP_ACT_ERRNO(ENOSYS);
  if (!permissive) program.filter = BERTH_TRY(enosys_prefix(seccomp, arch_tokens));
  const auto body = BERTH_TRY(export_bpf(ctx.get()));
  program.filter.insert(program.filter.end(), body.begin(), body.end());
  if (program.filter.size() > BPF_MAXINSNS) {
    return fail_msg("linux.seccomp: the filter has " + std::to_string(program.filter.size()) +
                    " instructions, more than the kernel's limit of " +
                    std::to_string(BPF_MAXINSNS));
  }
  return program;
}

Result<int> load_seccomp(const SeccompProgram& program) {
  if (program.filter.empty()) return fail_msg("load seccomp filter: empty program");
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.filter.size());
  prog.filter = const_cast<sock_filter*>(program.filter.data());
  const long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &prog);
  if (rc < 0) {
    const int err = errno;
    char flags[16];
    std::snprintf(flags, sizeof flags, "%#x", program.flags);
    return fail(
        sys_error(err, std::string("seccomp SECCOMP_SET_MODE_FILTER (flags ") + flags + ")"));
  }
  if (program.needs_listener) return static_cast<int>(rc);
  if (rc > 0) {
    return fail_msg("seccomp SECCOMP_SET_MODE_FILTER: thread " + std::to_string(rc) +
                    " could not be synchronized");
  }
  return -1;
}

std::vector<std::string> seccomp_actions() {
  std::vector<std::string> out;
  out.reserve(names::actions().size());
  for (const auto& action : names::actions()) out.emplace_back(action.name);
  return out;
}

std::vector<std::string> seccomp_operators() {
  return names_of(names::operators());
}
std::vector<std::string> seccomp_archs() {
  return names_of(names::architectures());
}
std::vector<std::string> seccomp_flags() {
  return names_of(names::flags());
}

std::vector<std::string> seccomp_supported_flags() {
  std::vector<std::string> out;
  for (const auto& flag : names::flags()) {
    unsigned probe = flag.value;
    // WAIT_KILLABLE_RECV is only valid together with NEW_LISTENER.
    if (probe == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // With a null program, a flag the kernel knows fails with EFAULT, an unknown one with EINVAL.
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe, nullptr) < 0 && errno == EFAULT) {
      out.emplace_back(flag.name);
    }
  }
  return out;
}

}  // namespace berth::runtime
