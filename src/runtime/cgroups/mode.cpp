#include <linux/magic.h>
#include <sys/statfs.h>

#include "runtime/cgroups/cgroup.hpp"

namespace berth::runtime::cgroups {

namespace {

Result<long> fs_type(const char* path) {
  struct statfs st;
  if (::statfs(path, &st) < 0) return fail_sys("statfs " + quote(path));
  return static_cast<long>(st.f_type);
}

Result<Mode> probe_mode() {
  auto root = BERTH_TRY(fs_type("/sys/fs/cgroup"));
  if (root == CGROUP2_SUPER_MAGIC) return Mode::v2;
  if (root != TMPFS_MAGIC)
    return fail_msg(
        "statfs \"/sys/fs/cgroup\": neither cgroup2 nor tmpfs: cgroups are not mounted");
  auto unified = fs_type("/sys/fs/cgroup/unified");
  if (unified && *unified == CGROUP2_SUPER_MAGIC) return Mode::hybrid;
  return Mode::v1;
}

}  // namespace

Result<Mode> detect_mode() {
  return probe_mode();
}

std::string unified_mount(Mode mode) {
  switch (mode) {
    case Mode::v1:
      return "";
    case Mode::v2:
      return "/sys/fs/cgroup";
    case Mode::hybrid:
      return "/sys/fs/cgroup/unified";
  }
  return "";
}

const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::v1:
      return "v1";
    case Mode::v2:
      return "v2";
    case Mode::hybrid:
      return "hybrid";
  }
  return "unknown";
}

}  // namespace berth::runtime::cgroups
