#include "runtime/cgroups/device_filter_bpf.hpp"

#include <cstddef>

namespace berth::runtime::cgroups {

namespace {

// Registers: r1 ctx (struct bpf_cgroup_dev_ctx), r2 access, r3 type, r4 major, r5 minor, r6
// scratch.
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn load_ctx_u32(uint8_t dst, int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, 1, off, 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn mov64_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn jne_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm);
}
bpf_insn jeq_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, 0, imm);
}
bpf_insn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

}  // namespace

std::vector<bpf_insn> device_filter_program(const DevicePolicy& policy) {
  std::vector<bpf_insn> prog;
  // access_type is (access << 16) | type.
  prog.push_back(load_ctx_u32(2, offsetof(bpf_cgroup_dev_ctx, access_type)));
  prog.push_back(mov32_reg(3, 2));
  prog.push_back(alu32_imm(BPF_AND, 3, 0xffff));
  prog.push_back(alu32_imm(BPF_RSH, 2, 16));
  prog.push_back(load_ctx_u32(4, offsetof(bpf_cgroup_dev_ctx, major)));
  prog.push_back(load_ctx_u32(5, offsetof(bpf_cgroup_dev_ctx, minor)));

  for (const auto& e : policy.exceptions) {
    std::vector<bpf_insn> block;
    std::vector<size_t> jumps;  // indexes of the jumps to the next block
    block.push_back(jne_imm(3, e.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    jumps.push_back(block.size() - 1);
    if ((e.access & kAccessAll) != kAccessAll) {
      block.push_back(mov32_reg(6, 2));
      if (policy.default_allow) {
        // A deny exception matches a request that asks for any of its access (as v1 does).
        block.push_back(alu32_imm(BPF_AND, 6, static_cast<int32_t>(e.access & kAccessAll)));
        block.push_back(jeq_imm(6, 0));
      } else {
        // An allow exception matches a request that asks for nothing outside its access.
        block.push_back(alu32_imm(BPF_AND, 6, static_cast<int32_t>(~e.access & kAccessAll)));
        block.push_back(jne_imm(6, 0));
      }
      jumps.push_back(block.size() - 1);
    }
    if (e.major) {
      block.push_back(jne_imm(4, static_cast<int32_t>(*e.major)));
      jumps.push_back(block.size() - 1);
    }
    if (e.minor) {
      block.push_back(jne_imm(5, static_cast<int32_t>(*e.minor)));
      jumps.push_back(block.size() - 1);
    }
    block.push_back(mov64_imm(0, policy.default_allow ? 0 : 1));
    block.push_back(exit_insn());
    for (size_t j : jumps) block[j].off = static_cast<int16_t>(block.size() - j - 1);
    prog.insert(prog.end(), block.begin(), block.end());
  }
  prog.push_back(mov64_imm(0, policy.default_allow ? 1 : 0));
  prog.push_back(exit_insn());
  return prog;
}

}  // namespace berth::runtime::cgroups
