#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.hpp"
#include "runtime/cgroups/device_filter_bpf.hpp"

namespace berth::runtime::cgroups {

namespace {

long bpf(int cmd, bpf_attr& attr) {
  long r;
  do {
    r = ::syscall(SYS_bpf, cmd, &attr, sizeof(attr));
  } while (r < 0 && errno == EINTR);
  return r;
}

uint64_t ptr(const void* p) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

Result<unique_fd> load(const std::vector<bpf_insn>& program, const std::string& dir) {
  static const char license[] = "Apache";
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = ptr(program.data());
  attr.insn_cnt = static_cast<uint32_t>(program.size());
  attr.license = ptr(license);
  long fd = bpf(BPF_PROG_LOAD, attr);
  if (fd >= 0) return unique_fd(static_cast<int>(fd));
  int err = errno;
  if (err != EINVAL && err != EACCES)
    return fail(sys_error(err, "load device filter for " + quote(dir)));
  // Load again to get the verifier's reason.
  std::string log(16384, '\0');
  attr.log_level = 1;
  attr.log_buf = ptr(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  fd = bpf(BPF_PROG_LOAD, attr);
  if (fd >= 0) return unique_fd(static_cast<int>(fd));
  log.resize(std::strlen(log.c_str()));
  while (!log.empty() && log.back() == '\n') log.pop_back();
  for (auto& c : log)
    if (c == '\n') c = ';';
  return fail(sys_error(err, "load device filter for " + quote(dir) +
                                 (log.empty() ? "" : " (verifier: " + log + ")")));
}

std::vector<uint32_t> attached(int cgroup_fd) {
  std::vector<uint32_t> ids(64);
  bpf_attr attr{};
  attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = ptr(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (bpf(BPF_PROG_QUERY, attr) < 0) return {};
  ids.resize(std::min<size_t>(attr.query.prog_cnt, ids.size()));
  return ids;
}

}  // namespace

Status attach_device_filter(int cgroup_fd, const std::string& dir,
                            const std::vector<bpf_insn>& program) {
  auto prog = BERTH_TRY(load(program, dir));
  auto old = attached(cgroup_fd);
  bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attr) < 0) return fail_sys("attach device filter to " + quote(dir));
  for (uint32_t id : old) {
    bpf_attr get{};
    get.prog_id = id;
    long fd = bpf(BPF_PROG_GET_FD_BY_ID, get);
    if (fd < 0) continue;
    unique_fd old_fd(static_cast<int>(fd));
    bpf_attr detach{};
    detach.target_fd = static_cast<uint32_t>(cgroup_fd);
    detach.attach_bpf_fd = static_cast<uint32_t>(old_fd.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, detach) < 0 && errno != ENOENT)
      return fail_sys("detach old device filter from " + quote(dir));
  }
  return {};
}

}  // namespace berth::runtime::cgroups
