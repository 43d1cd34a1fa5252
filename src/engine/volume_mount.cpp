#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "base/syscalls.hpp"
#include "engine/volume_options.hpp"
#include "engine/volume_store.hpp"

namespace berth::engine {
namespace {

Result<bool> is_mount_root(int fd, const std::string& shown) {
  struct statx stx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
    return fail_sys("stat " + quote(shown));
  return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

// How the volume's mount reads in errors: o= without the value of a password.
std::string describe(const VolumeRecord& v) {
  auto get = [&](const char* key) {
    auto it = v.options.find(key);
    return it == v.options.end() ? std::string() : it->second;
  };
  std::string o = get("o");
  if (auto p = o.find("password="); p != std::string::npos) {
    auto end = o.find(',', p);
    o.replace(p + 9, (end == std::string::npos ? o.size() : end) - p - 9, "********");
  }
  return "type=" + get("type") + " device=" + get("device") + " o=" + o;
}

}  // namespace

Result<std::string> VolumeService::mount(const VolumeRecord& volume) {
  auto data = open_data_dir(volume.name, O_PATH);
  if (!data && data.error().errno_value == ENOENT) {
    // A folder lost since create (a crash, a hand): the record still stands for it.
    auto dir = BERTH_TRY(sys::open(volumes_dir_, O_PATH | O_DIRECTORY));
    std::string base = volume.name;
    for (const char* part : {"", "/_data"}) {
      std::string p = base + part;
      if (::mkdirat(dir.get(), p.c_str(), 0755) < 0 && errno != EEXIST)
        return fail_sys("mount volume " + volume.name + ": mkdir " + quote(volume.mountpoint));
    }
    data = open_data_dir(volume.name, O_PATH);
  }
  if (!data) return fail(data.error().wrap("mount volume " + volume.name));
  if (!local_volume_needs_mount(volume.options)) return volume.mountpoint;
  if (BERTH_TRY(is_mount_root(data->get(), volume.mountpoint))) return volume.mountpoint;

  std::string what =
      "mount volume " + volume.name + " (" + describe(volume) + ") on " + quote(volume.mountpoint);
  auto plan = local_volume_mount(volume.options);
  if (!plan) return fail(plan.error().wrap(what));
  std::string target = sys::fd_path(data->get());
  if (::mount(plan->source.c_str(), target.c_str(), plan->type.c_str(), plan->flags,
              plan->data.empty() ? nullptr : plan->data.c_str()) < 0)
    return fail_sys(what);
  // A bind mount ignores the flags other than MS_BIND and MS_REC: they take a remount.
  constexpr unsigned long kBindIgnores = ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (plan->bind && (plan->flags & kBindIgnores) != 0) {
    auto mounted = BERTH_TRY(open_data_dir(volume.name, O_PATH));
    std::string t = sys::fd_path(mounted.get());
    if (::mount(nullptr, t.c_str(), nullptr, MS_REMOUNT | MS_BIND | (plan->flags & ~MS_REC),
                nullptr) < 0) {
      Error e = sys_error(what + ": remount");
      (void)::umount2(t.c_str(), MNT_DETACH);
      return fail(e);
    }
  }
  for (unsigned long p : plan->propagation) {
    auto mounted = BERTH_TRY(open_data_dir(volume.name, O_PATH));
    std::string t = sys::fd_path(mounted.get());
    if (::mount(nullptr, t.c_str(), nullptr, p, nullptr) < 0) {
      Error e = sys_error(what + ": set propagation");
      (void)::umount2(t.c_str(), MNT_DETACH);
      return fail(e);
    }
  }
  return volume.mountpoint;
}

Status VolumeService::unmount(const VolumeRecord& volume) {
  if (!local_volume_needs_mount(volume.options)) return {};
  auto data = open_data_dir(volume.name, O_PATH);
  if (!data && data.error().errno_value == ENOENT) return {};
  if (!data) return fail(data.error().wrap("unmount volume " + volume.name));
  if (!BERTH_TRY(is_mount_root(data->get(), volume.mountpoint))) return {};
  std::string target = sys::fd_path(data->get());
  if (::umount2(target.c_str(), MNT_DETACH) < 0)
    return fail_sys("unmount volume " + volume.name + " from " + quote(volume.mountpoint));
  return {};
}

}  // namespace berth::engine
