#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/cgroups/device_rules.hpp"

namespace berth::runtime::cgroups {

// A BPF_PROG_TYPE_CGROUP_DEVICE program that answers as the policy says: 1 allows, 0 denies.
std::vector<bpf_insn> device_filter_program(const DevicePolicy& policy);

// Loads the program and attaches it (BPF_CGROUP_DEVICE, multi) to the cgroup2 directory, then
// detaches the programs that were attached there before, so the new one replaces them.
Status attach_device_filter(int cgroup_fd, const std::string& dir,
                            const std::vector<bpf_insn>& program);

}  // namespace berth::runtime::cgroups
