#include <gtest/gtest.h>

#include "runtime/cgroups/device_filter_bpf.hpp"
#include "runtime/cgroups/device_rules.hpp"

namespace berth::runtime::cgroups {
namespace {

DeviceRule rule(bool allow, const char* type, std::optional<int64_t> major,
                std::optional<int64_t> minor, const char* access) {
  DeviceRule r;
  r.allow = allow;
  r.type = type;
  r.major = major;
  r.minor = minor;
  r.access = access;
  return r;
}

// Runs a device filter the way the kernel would, for the few instructions the emitter uses.
int run(const std::vector<bpf_insn>& prog, char type, unsigned access, uint32_t major,
        uint32_t minor) {
  uint32_t ctx[3] = {(access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
                     major, minor};
  uint64_t reg[11] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const auto& i = prog[pc];
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        EXPECT_EQ(i.src_reg, 1);
        reg[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU | BPF_MOV | BPF_X:
        reg[i.dst_reg] = static_cast<uint32_t>(reg[i.src_reg]);
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        reg[i.dst_reg] = static_cast<uint32_t>(reg[i.dst_reg] & static_cast<uint32_t>(i.imm));
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        reg[i.dst_reg] = static_cast<uint32_t>(reg[i.dst_reg]) >> i.imm;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        reg[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (reg[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        if (reg[i.dst_reg] == static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(reg[0]);
      default:
        ADD_FAILURE() << "unexpected opcode " << int(i.code);
        return -1;
    }
  }
  ADD_FAILURE() << "fell off the end";
  return -1;
}

int decide(const std::vector<DeviceRule>& rules, char type, unsigned access, uint32_t major,
           uint32_t minor) {
  auto policy = emulate_v1(rules);
  EXPECT_TRUE(policy) << policy.error().what();
  return run(device_filter_program(*policy), type, access, major, minor);
}

TEST(CgroupsDevices, V1Lines) {
  EXPECT_EQ(v1_device_line(rule(true, "c", 1, 3, "rwm")), "c 1:3 rwm");
  EXPECT_EQ(v1_device_line(rule(false, "a", std::nullopt, std::nullopt, "rwm")), "a *:* rwm");
  EXPECT_EQ(v1_device_line(rule(true, "b", 8, std::nullopt, "r")), "b 8:* r");
  EXPECT_EQ(v1_device_line(rule(true, "c", std::nullopt, std::nullopt, "m")), "c *:* m");
}

TEST(CgroupsDevices, BadRules) {
  EXPECT_FALSE(check_device_rule(rule(true, "x", 1, 3, "rwm")));
  EXPECT_FALSE(check_device_rule(rule(true, "c", 1, 3, "rwx")));
  EXPECT_FALSE(check_device_rule(rule(true, "c", -5, 3, "r")));
  EXPECT_TRUE(check_device_rule(rule(true, "c", 1, 3, "")));
  EXPECT_FALSE(emulate_v1({rule(true, "c", 1, 3, "q")}));
}

TEST(CgroupsDevices, EmulateV1) {
  auto p = emulate_v1({});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->default_allow);
  EXPECT_TRUE(p->exceptions.empty());

  p = emulate_v1({rule(false, "a", std::nullopt, std::nullopt, "rwm"), rule(true, "c", 1, 3, "r"),
                  rule(true, "c", 1, 3, "w"), rule(true, "c", 1, 5, "rwm"),
                  rule(false, "c", 1, 5, "rwm")});
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->default_allow);
  ASSERT_EQ(p->exceptions.size(), 1u);
  EXPECT_EQ(p->exceptions[0].access, kAccessRead | kAccessWrite);

  // An "a" rule starts over.
  p = emulate_v1({rule(false, "a", std::nullopt, std::nullopt, "rwm"), rule(true, "c", 1, 3, "r"),
                  rule(true, "a", std::nullopt, std::nullopt, "rwm"), rule(false, "b", 8, 0, "w")});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->default_allow);
  ASSERT_EQ(p->exceptions.size(), 1u);
  EXPECT_EQ(p->exceptions[0].type, 'b');
}

TEST(CgroupsDevices, ProgramAllowList) {
  std::vector<DeviceRule> rules = {rule(false, "a", std::nullopt, std::nullopt, "rwm"),
                                   rule(true, "c", 1, 3, "rwm"), rule(true, "c", 1, 9, "r"),
                                   rule(true, "c", 136, std::nullopt, "rw"),
                                   rule(true, "b", std::nullopt, std::nullopt, "m")};
  EXPECT_EQ(decide(rules, 'c', kAccessRead | kAccessWrite, 1, 3), 1);
  EXPECT_EQ(decide(rules, 'c', kAccessMknod, 1, 3), 1);
  EXPECT_EQ(decide(rules, 'b', kAccessRead, 1, 3), 0);
  EXPECT_EQ(decide(rules, 'c', kAccessRead, 1, 9), 1);
  EXPECT_EQ(decide(rules, 'c', kAccessWrite, 1, 9), 0);
  EXPECT_EQ(decide(rules, 'c', kAccessRead | kAccessWrite, 1, 9), 0);
  EXPECT_EQ(decide(rules, 'c', kAccessWrite, 136, 7), 1);
  EXPECT_EQ(decide(rules, 'c', kAccessMknod, 136, 7), 0);
  EXPECT_EQ(decide(rules, 'b', kAccessMknod, 8, 0), 1);
  EXPECT_EQ(decide(rules, 'b', kAccessRead, 8, 0), 0);
  EXPECT_EQ(decide(rules, 'c', kAccessRead, 10, 200), 0);
}

TEST(CgroupsDevices, ProgramDenyList) {
  std::vector<DeviceRule> rules = {rule(false, "c", 1, 3, "w")};
  EXPECT_EQ(decide(rules, 'c', kAccessWrite, 1, 3), 0);
  EXPECT_EQ(decide(rules, 'c', kAccessRead, 1, 3), 1);
  EXPECT_EQ(decide(rules, 'c', kAccessRead | kAccessWrite, 1, 3), 0);
  EXPECT_EQ(decide(rules, 'c', kAccessWrite, 1, 5), 1);
  EXPECT_EQ(decide({}, 'b', kAccessWrite, 8, 0), 1);
  rules = {rule(false, "b", 8, std::nullopt, "rwm")};
  EXPECT_EQ(decide(rules, 'b', kAccessRead, 8, 1), 0);
  EXPECT_EQ(decide(rules, 'b', kAccessRead, 9, 1), 1);
  EXPECT_EQ(decide(rules, 'c', kAccessRead, 8, 1), 1);
}

TEST(CgroupsDevices, ContainerDefaults) {
  Device fuse;
  fuse.path = "/dev/fuse";
  fuse.type = 'c';
  fuse.major = 10;
  fuse.minor = 229;
  auto rules =
      container_device_rules({rule(false, "a", std::nullopt, std::nullopt, "rwm")}, {fuse});
  EXPECT_EQ(decide(rules, 'c', kAccessRead | kAccessWrite, 1, 3), 1);    // null
  EXPECT_EQ(decide(rules, 'c', kAccessRead | kAccessWrite, 5, 2), 1);    // ptmx
  EXPECT_EQ(decide(rules, 'c', kAccessRead | kAccessWrite, 136, 0), 1);  // pts
  EXPECT_EQ(decide(rules, 'c', kAccessRead, 10, 229), 1);                // linux.devices
  EXPECT_EQ(decide(rules, 'b', kAccessMknod, 8, 0), 1);
  EXPECT_EQ(decide(rules, 'b', kAccessRead, 8, 0), 0);
  EXPECT_EQ(decide(rules, 'c', kAccessRead, 4, 1), 0);
}

}  // namespace
}  // namespace berth::runtime::cgroups
