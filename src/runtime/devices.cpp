#include "runtime/devices.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/root_path.hpp"
#include "base/syscalls.hpp"
#include "runtime/mount_fd.hpp"

namespace berth::runtime {

namespace {

const Device kDefaultDevices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

// Directory fds by path, so that the devices in /dev resolve it once.
struct DirCache {
  int root_fd;
  std::string path;
  unique_fd fd;

  Result<int> get(const std::string& dir) {
    if (!fd || dir != path) {
      fd = BERTH_TRY(mount_fd::ensure(root_fd, dir, true));
      path = dir;
    }
    return fd.get();
  }
};

Result<mode_t> node_type(const Device& d) {
  switch (d.type) {
    case 'c':
    case 'u':
      return S_IFCHR;
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
  }
  return fail_msg("device " + quote(d.path) + ": unknown type " + quote(std::string(1, d.type)));
}

Status make_node(int dir_fd, const std::string& name, const Device& d, mode_t type) {
  mode_t mode = type | (d.file_mode.value_or(0666) & 07777);
  dev_t dev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
  if (::mknodat(dir_fd, name.c_str(), mode, dev) < 0) {
    if (errno != EEXIST) return fail_sys("mknod " + quote(d.path));
    if (::unlinkat(dir_fd, name.c_str(), 0) < 0) return fail_sys("remove " + quote(d.path));
    if (::mknodat(dir_fd, name.c_str(), mode, dev) < 0) return fail_sys("mknod " + quote(d.path));
  }
  uid_t uid = d.uid.value_or(0);
  gid_t gid = d.gid.value_or(0);
  if ((uid != 0 || gid != 0) && ::fchownat(dir_fd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return fail_sys("chown " + quote(d.path));
  return {};
}

Status bind_node(int root_fd, const Device& d) {
  auto tree = BERTH_TRY(mount_fd::clone_tree(AT_FDCWD, d.path, false, false, d.path));
  auto dest = BERTH_TRY(mount_fd::ensure(root_fd, d.path, false));
  return mount_fd::attach(tree.get(), dest.get(), d.path);
}

// umask is per process: cleared while the nodes are made so that their modes are exact.
struct UmaskZero {
  mode_t saved = ::umask(0);
  ~UmaskZero() { ::umask(saved); }
};

}  // namespace

Status create_devices(int root_fd, const std::vector<Device>& devices, bool bind_from_host) {
  std::vector<const Device*> all;
  for (const auto& d : kDefaultDevices) {
    bool replaced = false;
    for (const auto& s : devices) replaced = replaced || s.path == d.path;
    if (!replaced) all.push_back(&d);
  }
  for (const auto& d : devices) all.push_back(&d);

  bool bind_mode = bind_from_host;
  UmaskZero umask_zero;
  DirCache dirs{root_fd, {}, {}};
  for (const Device* d : all) {
    auto type = BERTH_TRY(node_type(*d));
    auto slash = d->path.find_last_of('/');
    if (slash == std::string::npos || slash + 1 == d->path.size())
      return fail_msg("device " + quote(d->path) + ": not an absolute file path");
    std::string dir = slash == 0 ? "/" : d->path.substr(0, slash);
    std::string name = d->path.substr(slash + 1);
    if (name == "." || name == "..")
      return fail_msg("device " + quote(d->path) + ": not an absolute file path");
    if (bind_mode && type != S_IFIFO) {
      BERTH_CHECK(bind_node(root_fd, *d));
      continue;
    }
    int dir_fd = BERTH_TRY(dirs.get(dir));
    auto made = make_node(dir_fd, name, *d, type);
    // Refused (no CAP_MKNOD, or a devices cgroup without "m"): this and the rest are bound.
    if (!made && made.error().errno_value == EPERM && type != S_IFIFO) {
      bind_mode = true;
      made = bind_node(root_fd, *d);
    }
    if (!made) return made;
  }
  return {};
}

Status create_dev_symlinks(int root_fd) {
  auto dev = BERTH_TRY(mount_fd::ensure(root_fd, "/dev", true));
  struct Link {
    const char* target;
    const char* name;
  };
  static const Link kLinks[] = {{"/proc/self/fd", "fd"},
                                {"/proc/self/fd/0", "stdin"},
                                {"/proc/self/fd/1", "stdout"},
                                {"/proc/self/fd/2", "stderr"},
                                {"/proc/kcore", "core"}};
  for (const auto& l : kLinks) {
    if (std::string_view(l.name) == "core" && ::access("/proc/kcore", F_OK) < 0) continue;
    if (::symlinkat(l.target, dev.get(), l.name) < 0 && errno != EEXIST)
      return fail_sys("symlink " + quote(std::string("/dev/") + l.name));
  }
  if (::unlinkat(dev.get(), "ptmx", 0) < 0 && errno != ENOENT)
    return fail_sys("remove \"/dev/ptmx\"");
  if (::symlinkat("pts/ptmx", dev.get(), "ptmx") < 0) return fail_sys("symlink \"/dev/ptmx\"");
  return {};
}

Status create_console_placeholder(int root_fd) {
  auto dev = BERTH_TRY(mount_fd::ensure(root_fd, "/dev", true));
  if (::mknodat(dev.get(), "console", S_IFREG | 0600, 0) < 0 && errno != EEXIST)
    return fail_sys("create \"/dev/console\"");
  return {};
}

Status mount_console(int pty_fd) {
  auto target = BERTH_TRY(sys::open("/dev/console", O_PATH | O_NOFOLLOW));
  // Only the placeholder (or a node the runtime made): never a symlink planted by the image.
  struct stat st;
  if (::fstat(target.get(), &st) < 0) return fail_sys("stat \"/dev/console\"");
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
    return fail_msg("\"/dev/console\" is neither a file nor a device");
  auto tree = BERTH_TRY(mount_fd::clone_tree(pty_fd, "", false, false, "console pty"));
  return mount_fd::attach(tree.get(), target.get(), "/dev/console");
}

bool needs_dev_setup(const Spec& spec) {
  for (const auto& m : spec.mounts) {
    std::string dest = m.destination;
    while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
    if (dest != "/dev") continue;
    if (m.type == "bind") return false;
    for (const auto& o : m.options)
      if (o == "bind" || o == "rbind") return false;
  }
  return true;
}

}  // namespace berth::runtime
