#include <iostream>
#include <iterator>

#include "base/fs.hpp"
#include "cli/runtime/commands.hpp"
#include "runtime/cgroups/cgroup.hpp"

namespace berth::cli {

namespace {

struct UpdateFlags {
  std::string resources_file;
  std::string memory, memory_swap, memory_reservation, kernel_memory, kernel_memory_tcp;
  std::optional<int64_t> cpu_quota, cpu_rt_runtime, pids_limit;
  std::optional<uint64_t> cpu_shares, cpu_period, cpu_rt_period;
  std::optional<uint16_t> blkio_weight;
  std::string cpuset_cpus, cpuset_mems;
};

// "1048576", "512k", "100M", "1g"; "-1" is unlimited.
Result<int64_t> parse_bytes(const std::string& text) {
  if (text == "-1") return -1;
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return fail_msg("update: invalid size " + quote(text));
  }
  std::string unit = text.substr(used);
  for (auto& c : unit) c = static_cast<char>(tolower(c));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  static const std::pair<const char*, double> kUnits[] = {{"", 1},
                                                          {"k", 1024.0},
                                                          {"m", 1024.0 * 1024},
                                                          {"g", 1024.0 * 1024 * 1024},
                                                          {"t", 1024.0 * 1024 * 1024 * 1024}};
  for (const auto& [name, factor] : kUnits)
    if (unit == name && value >= 0) return static_cast<int64_t>(value * factor);
  return fail_msg("update: invalid size " + quote(text));
}

Result<runtime::Resources> resources_from(const UpdateFlags& f) {
  runtime::Resources r;
  if (!f.resources_file.empty()) {
    std::string text;
    if (f.resources_file == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      text = BERTH_TRY(fs::read_file(f.resources_file));
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return fail_msg("update: resources: invalid JSON");
    auto parsed = runtime::parse_resources(j);
    if (!parsed) return fail(parsed.error().wrap("update: resources"));
    r = *parsed;
  }
  const std::pair<const std::string*, std::optional<int64_t> runtime::MemoryResources::*> memory[] =
      {{&f.memory, &runtime::MemoryResources::limit},
       {&f.memory_swap, &runtime::MemoryResources::swap},
       {&f.memory_reservation, &runtime::MemoryResources::reservation},
       {&f.kernel_memory, &runtime::MemoryResources::kernel},
       {&f.kernel_memory_tcp, &runtime::MemoryResources::kernel_tcp}};
  for (const auto& [text, field] : memory) {
    if (text->empty()) continue;
    if (!r.memory) r.memory = runtime::MemoryResources{};
    (*r.memory).*field = BERTH_TRY(parse_bytes(*text));
  }
  if (f.cpu_shares || f.cpu_period || f.cpu_quota || f.cpu_rt_period || f.cpu_rt_runtime ||
      !f.cpuset_cpus.empty() || !f.cpuset_mems.empty()) {
    if (!r.cpu) r.cpu = runtime::CpuResources{};
    if (f.cpu_shares) r.cpu->shares = f.cpu_shares;
    if (f.cpu_period) r.cpu->period = f.cpu_period;
    if (f.cpu_quota) r.cpu->quota = f.cpu_quota;
    if (f.cpu_rt_period) r.cpu->realtime_period = f.cpu_rt_period;
    if (f.cpu_rt_runtime) r.cpu->realtime_runtime = f.cpu_rt_runtime;
    if (!f.cpuset_cpus.empty()) r.cpu->cpus = f.cpuset_cpus;
    if (!f.cpuset_mems.empty()) r.cpu->mems = f.cpuset_mems;
  }
  if (f.pids_limit) r.pids_limit = f.pids_limit;
  if (f.blkio_weight) {
    if (!r.block_io) r.block_io = runtime::BlockIoResources{};
    r.block_io->weight = f.blkio_weight;
  }
  return r;
}

}  // namespace

void add_update_command(CLI::App& app, runtime::RuntimeOptions& rt, Action& action) {
  static UpdateFlags f;
  static std::string id;
  auto* update = app.add_subcommand("update", "change the resource limits of a container");
  update->add_option("-r,--resources", f.resources_file, "resources JSON file, or - for stdin");
  update->add_option("--memory", f.memory, "memory limit in bytes");
  update->add_option("--memory-swap", f.memory_swap, "memory plus swap limit in bytes");
  update->add_option("--memory-reservation", f.memory_reservation, "memory soft limit in bytes");
  update->add_option("--kernel-memory", f.kernel_memory, "ignored by the kernel");
  update->add_option("--kernel-memory-tcp", f.kernel_memory_tcp, "kernel TCP buffer limit");
  update->add_option("--cpu-share,--cpu-shares", f.cpu_shares, "relative CPU weight");
  update->add_option("--cpu-period", f.cpu_period, "CFS period in microseconds");
  update->add_option("--cpu-quota", f.cpu_quota, "CFS quota in microseconds");
  update->add_option("--cpu-rt-period", f.cpu_rt_period, "realtime period");
  update->add_option("--cpu-rt-runtime", f.cpu_rt_runtime, "realtime runtime");
  update->add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs allowed");
  update->add_option("--cpuset-mems", f.cpuset_mems, "memory nodes allowed");
  update->add_option("--pids-limit", f.pids_limit, "maximum number of processes");
  update->add_option("--blkio-weight", f.blkio_weight, "block IO weight, 10 to 1000");
  update->add_option("id", id, "container id")->required();
  update->callback([&] {
    action = [&]() -> Result<int> {
      auto state = BERTH_TRY(runtime::load_state(rt.root, id));
      if (runtime::container_status(rt, state) == runtime::ContainerStatus::stopped)
        return fail_msg(quote(id) + ": container not running");
      auto resources = BERTH_TRY(resources_from(f));
      auto cgroup = BERTH_TRY(runtime::cgroups::load(state.cgroup_paths, state.rootless));
      BERTH_CHECK(cgroup->apply(resources));
      return 0;
    };
  });
}

}  // namespace berth::cli
