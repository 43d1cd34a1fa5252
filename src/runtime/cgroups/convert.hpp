#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.hpp"

// Conversions between the runtime-spec's (cgroup v1 shaped) values and what the kernel files want.
namespace berth::runtime::cgroups {

// cpu.shares (2..262144) -> cpu.weight (1..10000), as runc and crun map them; 0 stays 0 (unset).
uint64_t shares_to_weight(uint64_t shares);
// blkio.weight (10..1000) -> io.weight (1..10000), as runc maps it; 0 stays 0 (unset).
uint64_t blkio_weight_to_io_weight(uint64_t weight);

// memory.swap in the spec is memory+swap; memory.swap.max (v2) is swap alone. Returns what to
// write in memory.swap.max: nullopt to leave it, -1 for "max". Unlimited memory with swap unset
// means unlimited swap too (as on v1).
Result<std::optional<int64_t>> v2_swap_max(std::optional<int64_t> limit,
                                           std::optional<int64_t> swap);

// A byte or count limit for a v2 file: negative is "max".
std::string v2_limit(int64_t value);

// A hugepage size from the spec ("2MB", "1GB", "64KB") checked before it goes into a file name.
Status check_page_size(const std::string& page_size);

}  // namespace berth::runtime::cgroups
