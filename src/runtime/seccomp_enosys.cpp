#include "runtime/seccomp_enosys.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <cerrno>
#include <cstddef>
#include <optional>

namespace berth::runtime {

namespace {

constexpr uint32_t x32_syscall_bit = 0x40000000;

// Classic BPF with forward jumps to labels, patched once the labels are placed.
class Assembler {
 public:
  int new_label() {
    labels_.push_back(-1);
    return static_cast<int>(labels_.size() - 1);
  }
  void place(int label) { labels_[label] = static_cast<int>(code_.size()); }
  void stmt(uint16_t code, uint32_t k) { code_.push_back(BPF_STMT(code, k)); }
  // Conditional jump: to `jt` when true, to `jf` when false; -1 means the next instruction.
  void jump(uint16_t code, uint32_t k, int jt, int jf) {
    if (jt >= 0) fixups_.push_back({code_.size(), jt, true});
    if (jf >= 0) fixups_.push_back({code_.size(), jf, false});
    code_.push_back(BPF_JUMP(BPF_JMP | code | BPF_K, k, 0, 0));
  }
  void jump_always(int label) {
    fixups_.push_back({code_.size(), label, false});
    code_.push_back(BPF_STMT(BPF_JMP | BPF_JA, 0));
  }

  Result<std::vector<sock_filter>> finish() {
    for (const Fixup& f : fixups_) {
      const int distance = labels_[f.label] - static_cast<int>(f.at) - 1;
      sock_filter& insn = code_[f.at];
      if (BPF_OP(insn.code) == BPF_JA) {
        insn.k = static_cast<uint32_t>(distance);
      } else if (distance > 255) {
        return fail_msg("linux.seccomp: too many architectures for the ENOSYS prefix");
      } else if (f.true_branch) {
        insn.jt = static_cast<uint8_t>(distance);
      } else {
        insn.jf = static_cast<uint8_t>(distance);
      }
    }
    return std::move(code_);
  }

 private:
  struct Fixup {
    size_t at;
    int label;
    bool true_branch;
  };
  std::vector<sock_filter> code_;
  std::vector<int> labels_;
  std::vector<Fixup> fixups_;
};

// The highest syscall number any rule names on this architecture.
std::optional<uint32_t> highest_syscall(const Seccomp& seccomp, uint32_t arch) {
  std::optional<uint32_t> highest;
  for (const auto& rule : seccomp.syscalls) {
    for (const auto& name : rule.names) {
      const int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
      if (nr < 0) continue;  // unknown, or multiplexed (socketcall, ipc)
      if (!highest || static_cast<uint32_t>(nr) > *highest) highest = static_cast<uint32_t>(nr);
    }
  }
  return highest;
}

struct Check {
  uint32_t audit_arch;
  std::optional<uint32_t> highest;      // x86-64 proper on AUDIT_ARCH_X86_64
  std::optional<uint32_t> highest_x32;  // only on AUDIT_ARCH_X86_64
  bool x86_64 = false;
};

}  // namespace

Result<std::vector<sock_filter>> enosys_prefix(const Seccomp& seccomp,
                                               std::span<const uint32_t> arch_tokens) {
  std::vector<Check> checks;
  auto check_for = [&](uint32_t audit_arch) -> Check& {
    for (auto& c : checks) {
      if (c.audit_arch == audit_arch) return c;
    }
    checks.push_back({audit_arch, std::nullopt, std::nullopt, audit_arch == AUDIT_ARCH_X86_64});
    return checks.back();
  };
  for (uint32_t token : arch_tokens) {
    const auto highest = highest_syscall(seccomp, token);
    // x32 syscalls arrive as AUDIT_ARCH_X86_64 with the x32 bit set in their number.
    if (token == SCMP_ARCH_X32) {
      check_for(AUDIT_ARCH_X86_64).highest_x32 = highest;
    } else {
      check_for(token).highest = highest;
    }
  }
  bool needed = false;
  for (const auto& c : checks) needed = needed || c.highest || c.highest_x32;
  if (!needed) return std::vector<sock_filter>{};

  Assembler a;
  const int enosys = a.new_label();
  const int program = a.new_label();
  std::vector<int> blocks;
  a.stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  for (size_t i = 0; i < checks.size(); ++i) {
    blocks.push_back(a.new_label());
    a.jump(BPF_JEQ, checks[i].audit_arch, blocks.back(), -1);
  }
  a.jump_always(program);
  // Numbers above the highest named one fail with ENOSYS; everything else goes on to the
  // program. An x32 number on AUDIT_ARCH_X86_64 is left to the program when x32 is not in the
  // filter, which then applies the bad-architecture action.
  auto range_check = [&](const std::optional<uint32_t>& highest) {
    if (highest) a.jump(BPF_JGT, *highest, enosys, -1);
    a.jump_always(program);
  };
  for (size_t i = 0; i < checks.size(); ++i) {
    a.place(blocks[i]);
    a.stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
    if (checks[i].x86_64) {
      const int x32 = a.new_label();
      a.jump(BPF_JSET, x32_syscall_bit, x32, -1);
      range_check(checks[i].highest);
      a.place(x32);
      range_check(checks[i].highest_x32);
    } else {
      // On s390, syscall 0 multiplexes the numbers above 255 and is what a syscall the kernel
      // does not know arrives as.
      if (checks[i].audit_arch == AUDIT_ARCH_S390 || checks[i].audit_arch == AUDIT_ARCH_S390X) {
        a.jump(BPF_JEQ, 0, enosys, -1);
      }
      range_check(checks[i].highest);
    }
  }
  a.place(enosys);
  a.stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  a.place(program);
  return a.finish();
}

}  // namespace berth::runtime
