#include "engine/spec_devices.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <climits>
#include <cstdlib>

#include "base/unique_fd.hpp"

namespace berth::engine {

namespace {

using nlohmann::json;

json rule(bool allow, const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
          const std::string& access) {
  json r = {{"allow", allow}, {"access", access}};
  if (type) r["type"] = type;
  if (major) r["major"] = *major;
  if (minor) r["minor"] = *minor;
  return r;
}

// The node at host_path as a linux.devices entry at container_path; nullopt when it is not a
// character or block device.
std::optional<json> device_entry(const struct stat& st, const std::string& container_path) {
  const char* type = S_ISCHR(st.st_mode) ? "c" : S_ISBLK(st.st_mode) ? "b" : nullptr;
  if (!type) return std::nullopt;
  return json{{"path", container_path},
              {"type", type},
              {"major", major(st.st_rdev)},
              {"minor", minor(st.st_rdev)},
              {"fileMode", st.st_mode & 07777},
              {"uid", st.st_uid},
              {"gid", st.st_gid}};
}

bool skipped_dir(const std::string& name) {
  return name == "pts" || name == "shm" || name == "fd" || name == "mqueue" || name == ".lxc" ||
         name == ".lxd-mounts" || name == ".udev";
}

// Walks a directory without following symlinks; each device node found goes under prefix.
Status walk(const std::string& dir, const std::string& prefix, bool top_of_dev,
            std::vector<DeviceNode>& out) {
  unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return fail_sys("open " + quote(dir));
  DIR* d = ::fdopendir(fd.get());
  if (!d) return fail_sys("read " + quote(dir));
  (void)fd.release();
  std::vector<std::pair<std::string, struct stat>> entries;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    entries.emplace_back(name, st);
  }
  ::closedir(d);
  for (const auto& [name, st] : entries) {
    std::string host = dir + "/" + name;
    std::string inside = prefix + "/" + name;
    if (S_ISDIR(st.st_mode)) {
      if (top_of_dev && skipped_dir(name)) continue;
      BERTH_CHECK(walk(host, inside, false, out));
    } else if (top_of_dev && name == "console") {
      continue;
    } else if (auto dev = device_entry(st, inside)) {
      out.push_back({host, std::move(*dev)});
    }
  }
  return {};
}

}  // namespace

Result<DeviceGrant> devices_from_path(const std::string& path_on_host,
                                      const std::string& path_in_container,
                                      const std::string& permissions) {
  // The host path may be a symlink (/dev/disk/by-id/...): the node it names is what counts.
  char resolved[PATH_MAX];
  if (!::realpath(path_on_host.c_str(), resolved))
    return fail_sys("error gathering device information while adding custom device " +
                    quote(path_on_host));
  struct stat st;
  if (::stat(resolved, &st) < 0) return fail_sys("stat " + quote(path_on_host));
  DeviceGrant grant;
  if (auto dev = device_entry(st, path_in_container)) {
    grant.nodes.push_back({resolved, std::move(*dev)});
  } else if (S_ISDIR(st.st_mode)) {
    BERTH_CHECK(walk(resolved, path_in_container, false, grant.nodes));
    if (grant.nodes.empty()) return fail_msg("no device nodes found in " + quote(path_on_host));
  } else {
    return fail_msg(quote(path_on_host) + " is not a device node");
  }
  for (const auto& [_, d] : grant.nodes)
    grant.rules.push_back(rule(true, d["type"].get<std::string>() == "b" ? "b" : "c",
                               d["major"].get<int64_t>(), d["minor"].get<int64_t>(), permissions));
  return grant;
}

Result<std::vector<json>> host_devices() {
  std::vector<DeviceNode> nodes;
  BERTH_CHECK(walk("/dev", "/dev", true, nodes));
  std::vector<json> out;
  for (auto& n : nodes) out.push_back(std::move(n.entry));
  return out;
}

std::vector<json> default_device_rules() {
  return {
      rule(false, nullptr, std::nullopt, std::nullopt, "rwm"),
      rule(true, "c", 1, 5, "rwm"),      // zero
      rule(true, "c", 1, 3, "rwm"),      // null
      rule(true, "c", 1, 9, "rwm"),      // urandom
      rule(true, "c", 1, 8, "rwm"),      // random
      rule(true, "c", 5, 0, "rwm"),      // tty
      rule(true, "c", 5, 1, "rwm"),      // console
      rule(false, "c", 10, 229, "rwm"),  // fuse
  };
}

}  // namespace berth::engine
