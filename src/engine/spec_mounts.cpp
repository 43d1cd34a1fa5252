#include "engine/spec_mounts.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "base/strings.hpp"
#include "engine/spec_mount_idmaps.hpp"

namespace berth::engine {

namespace {

const std::set<std::string> kPropagations = {"private", "rprivate", "shared",
                                             "rshared", "slave",    "rslave"};

// Lexical cleanup as Go's path.Clean: no "//", ".", or "..".
std::string clean_path(const std::string& p) {
  bool absolute = !p.empty() && p[0] == '/';
  std::vector<std::string> parts;
  for (auto& part : split(p, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out.empty() ? "." : out;
}

Status check_destination(const std::string& dest) {
  if (dest.empty() || dest[0] != '/')
    return fail_msg("invalid mount path: '" + dest + "' mount path must be absolute");
  if (clean_path(dest) == "/") return fail_msg("invalid specification: destination can't be '/'");
  return {};
}

// The parts of a -v mode string, each category at most once.
struct BindMode {
  bool read_only = false;
  std::string propagation;
  bool no_copy = false;
  bool copy_set = false;
  std::string idmap;
};

std::optional<BindMode> parse_mode(const std::string& mode) {
  BindMode m;
  if (mode.empty()) return m;
  int rw = 0, label = 0, propagation = 0, copy = 0, consistency = 0, idmap = 0;
  for (const auto& o : split(mode, ',')) {
    if (o == "ro" || o == "rw") {
      ++rw;
      m.read_only = o == "ro";
    } else if (o == "z" || o == "Z") {
      ++label;
    } else if (kPropagations.count(o)) {
      ++propagation;
      m.propagation = o;
    } else if (o == "nocopy" || o == "copy") {
      ++copy;
      m.copy_set = true;
      m.no_copy = o == "nocopy";
    } else if (o == "consistent" || o == "cached" || o == "delegated") {
      ++consistency;
    } else if (o == "match-user" || o == "idmap" || o.starts_with("idmap=")) {
      ++idmap;
      m.idmap = o;
    } else {
      return std::nullopt;
    }
  }
  if (rw > 1 || label > 1 || propagation > 1 || copy > 1 || consistency > 1 || idmap > 1)
    return std::nullopt;
  return m;
}

std::vector<std::string> bind_options(bool read_only, const std::string& propagation,
                                      bool non_recursive, bool read_only_non_recursive) {
  std::vector<std::string> o = {non_recursive ? "bind" : "rbind"};
  if (read_only) o.push_back(non_recursive || read_only_non_recursive ? "ro" : "rro");
  o.push_back(propagation.empty() ? "rprivate" : propagation);
  return o;
}

// A mount at a destination, from -v, --mount or Config.Volumes: a bind or a volume.
struct Planned {
  bool anonymous = false;
  bool from_binds = false;
  std::optional<MountEntry> bind;
  std::optional<VolumeRequest> volume;
};

Error bad_bind(const std::string& raw, const std::string& why) {
  return plain_error("invalid volume specification: '" + raw + "'" +
                     (why.empty() ? "" : ": " + why));
}

Result<Planned> parse_bind(const std::string& raw, std::vector<std::string>& create_dirs) {
  auto parts = split(raw, ':');
  if (parts.size() > 3) {
    // SplitN(raw, ":", 4) in Docker: a fourth part is always an error.
    return fail(bad_bind(raw, ""));
  }
  if (parts[0].empty()) return fail(bad_bind(raw, ""));
  std::string source, dest, mode;
  if (parts.size() == 1) {
    dest = parts[0];
  } else if (parts.size() == 2) {
    if (parse_mode(parts[1])) return fail(bad_bind(raw, ""));
    source = parts[0];
    dest = parts[1];
  } else {
    source = parts[0];
    dest = parts[1];
    mode = parts[2];
  }
  auto m = parse_mode(mode);
  if (!m) return fail_msg("invalid mode: " + mode);
  if (auto ok = check_destination(dest); !ok) return fail(bad_bind(raw, ok.error().message));
  dest = clean_path(dest);
  Planned p;
  p.from_binds = true;
  if (!source.empty() && source[0] == '/') {
    if (m->copy_set)
      return fail(bad_bind(raw,
                           "invalid mount config for type \"bind\": field VolumeOptions "
                           "must not be specified"));
    source = clean_path(source);
    struct stat st;
    if (::stat(source.c_str(), &st) < 0 && errno == ENOENT) create_dirs.push_back(source);
    p.bind =
        MountEntry{"bind", source, dest, bind_options(m->read_only, m->propagation, false, false)};
    p.bind->idmap = m->idmap;
    if (auto ok = check_idmap_request(m->idmap); !ok)
      return fail(bad_bind(raw, ok.error().message));
    return p;
  }
  if (!m->idmap.empty())
    return fail(bad_bind(raw, m->idmap + " applies to bind mounts (an absolute host path)"));
  if (!m->propagation.empty())
    return fail(bad_bind(raw,
                         "invalid mount config for type \"volume\": field BindOptions must "
                         "not be specified"));
  VolumeRequest v;
  v.name = source;
  v.destination = dest;
  v.read_only = m->read_only;
  v.no_copy = m->no_copy;
  p.anonymous = source.empty();
  p.volume = std::move(v);
  return p;
}

std::string tmpfs_size(int64_t size) {
  for (auto [suffix, divisor] : {std::pair{"g", int64_t(1) << 30}, std::pair{"m", int64_t(1) << 20},
                                 std::pair{"k", int64_t(1) << 10}})
    if (size % divisor == 0) return std::to_string(size / divisor) + suffix;
  return std::to_string(size);
}

Error bad_mount(const MountSpec& m, const std::string& why) {
  return plain_error("invalid mount config for type " + quote(m.type) + ": " + why);
}

struct TmpfsPlan {
  std::string destination;
  std::string data;  // comma-joined options
};

Result<Planned> parse_mount_spec(const MountSpec& m, std::optional<TmpfsPlan>& tmpfs) {
  if (m.target.empty()) return fail(bad_mount(m, "field Target must not be empty"));
  if (auto ok = check_destination(m.target); !ok) return fail(bad_mount(m, ok.error().message));
  std::string dest = clean_path(m.target);
  Planned p;
  if (m.type == "bind") {
    if (m.volume_options) return fail(bad_mount(m, "field VolumeOptions must not be specified"));
    if (m.tmpfs_options) return fail(bad_mount(m, "field TmpfsOptions must not be specified"));
    if (m.source.empty()) return fail(bad_mount(m, "field Source must not be empty"));
    if (m.source[0] != '/')
      return fail(
          bad_mount(m, "invalid mount path: '" + m.source + "' mount path must be absolute"));
    BindOptions b = m.bind_options.value_or(BindOptions{});
    if (!b.propagation.empty() && !kPropagations.count(b.propagation))
      return fail(bad_mount(m, "invalid propagation mode: " + b.propagation));
    struct stat st;
    if (!b.create_mountpoint && ::stat(m.source.c_str(), &st) < 0 && errno == ENOENT)
      return fail(bad_mount(m, "bind source path does not exist: " + m.source));
    p.bind = MountEntry{
        "bind", clean_path(m.source), dest,
        bind_options(m.read_only, b.propagation, b.non_recursive, b.read_only_non_recursive)};
    p.bind->idmap = b.idmap;
    if (auto ok = check_idmap_request(b.idmap); !ok) return fail(bad_mount(m, ok.error().message));
    return p;
  }
  if (m.type == "volume") {
    if (m.bind_options) return fail(bad_mount(m, "field BindOptions must not be specified"));
    if (m.tmpfs_options) return fail(bad_mount(m, "field TmpfsOptions must not be specified"));
    VolumeRequest v;
    v.name = m.source;
    v.destination = dest;
    v.read_only = m.read_only;
    if (const auto& o = m.volume_options) {
      v.no_copy = o->no_copy;
      v.labels = o->labels;
      v.subpath = o->subpath;
      if (o->driver_config) {
        v.driver = o->driver_config->name;
        v.driver_options = o->driver_config->options;
      }
    }
    if (!v.subpath.empty()) {
      if (v.name.empty())
        return fail(bad_mount(m, "must not set Subpath when using anonymous volumes"));
      auto clean = clean_path(v.subpath);
      if (clean[0] == '/' || clean == ".." || clean.starts_with("../"))
        return fail(bad_mount(m, "subpath must be a relative path within the volume"));
    }
    p.anonymous = v.name.empty();
    p.volume = std::move(v);
    return p;
  }
  if (m.type == "tmpfs") {
    if (!m.source.empty()) return fail(bad_mount(m, "field Source must not be specified"));
    if (m.bind_options) return fail(bad_mount(m, "field BindOptions must not be specified"));
    if (m.volume_options) return fail(bad_mount(m, "field VolumeOptions must not be specified"));
    std::vector<std::string> data;
    if (m.read_only) data.push_back("ro");
    if (const auto& t = m.tmpfs_options) {
      if (t->mode != 0) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "mode=%o", t->mode);
        data.push_back(buf);
      }
      if (t->size_bytes < 0) return fail(bad_mount(m, "invalid tmpfs size"));
      if (t->size_bytes != 0) data.push_back("size=" + tmpfs_size(t->size_bytes));
    }
    std::string joined;
    for (const auto& d : data) joined += (joined.empty() ? "" : ",") + d;
    tmpfs = TmpfsPlan{dest, joined};
    return p;
  }
  return fail(bad_mount(m, "mount type unknown"));
}

Result<MountEntry> tmpfs_mount(const TmpfsPlan& t) {
  std::vector<std::string> options = {"noexec", "nosuid", "nodev", "rprivate"};
  if (!t.data.empty())
    for (auto& o : split(t.data, ',')) options.push_back(std::move(o));
  auto merged = merge_tmpfs_options(options);
  if (!merged) return fail(merged.error().wrap("tmpfs " + t.destination));
  return MountEntry{"tmpfs", "tmpfs", t.destination, std::move(*merged)};
}

}  // namespace

Result<std::vector<std::string>> merge_tmpfs_options(const std::vector<std::string>& options) {
  // Flags that cancel each other share a key; every propagation mode shares one.
  static const std::map<std::string, std::string> flag_keys = {
      {"ro", "rdonly"},
      {"rw", "rdonly"},
      {"suid", "suid"},
      {"nosuid", "suid"},
      {"dev", "dev"},
      {"nodev", "dev"},
      {"exec", "exec"},
      {"noexec", "exec"},
      {"sync", "sync"},
      {"async", "sync"},
      {"dirsync", "dirsync"},
      {"mand", "mand"},
      {"nomand", "mand"},
      {"atime", "atime"},
      {"noatime", "atime"},
      {"diratime", "diratime"},
      {"nodiratime", "diratime"},
      {"relatime", "relatime"},
      {"norelatime", "relatime"},
      {"strictatime", "strictatime"},
      {"nostrictatime", "strictatime"},
      {"private", "propagation"},
      {"rprivate", "propagation"},
      {"shared", "propagation"},
      {"rshared", "propagation"},
      {"slave", "propagation"},
      {"rslave", "propagation"},
      {"unbindable", "propagation"},
      {"runbindable", "propagation"},
  };
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    const auto& o = *it;
    if (o == "defaults") continue;
    std::string key;
    if (auto f = flag_keys.find(o); f != flag_keys.end()) {
      key = "flag:" + f->second;
    } else {
      auto eq = o.find('=');
      if (eq == std::string::npos || eq == 0) return fail_msg("invalid tmpfs option " + quote(o));
      key = "data:" + o.substr(0, eq);
    }
    if (!seen.insert(key).second) continue;
    out.insert(out.begin(), o);
  }
  return out;
}

MountEntry volume_mount(const VolumeRequest& request, const std::string& host_path) {
  return MountEntry{"bind", host_path, request.destination,
                    bind_options(request.read_only, "", false, false)};
}

Result<MountPlan> plan_mounts(const ContainerConfig& config, const HostConfig& host) {
  MountPlan plan;
  std::map<std::string, Planned> by_dest;
  std::vector<std::string> order;
  auto put = [&](const std::string& dest, Planned p) {
    if (!by_dest.count(dest)) order.push_back(dest);
    by_dest[dest] = std::move(p);
  };

  for (const auto& dest_raw : config.volumes) {
    if (auto ok = check_destination(dest_raw); !ok)
      return fail(ok.error().wrap("Config.Volumes " + quote(dest_raw)));
    auto dest = clean_path(dest_raw);
    Planned p;
    p.anonymous = true;
    p.volume = VolumeRequest{};
    p.volume->destination = dest;
    put(dest, std::move(p));
  }
  for (const auto& raw : host.binds) {
    auto p = BERTH_TRY(parse_bind(raw, plan.create_dirs));
    std::string dest = p.bind ? p.bind->destination : p.volume->destination;
    auto it = by_dest.find(dest);
    if (it != by_dest.end() && !it->second.anonymous)
      return fail_msg("duplicate mount point: " + dest);
    put(dest, std::move(p));
  }
  std::vector<TmpfsPlan> tmpfs;
  for (const auto& m : host.mounts) {
    std::optional<TmpfsPlan> t;
    auto p = BERTH_TRY(parse_mount_spec(m, t));
    if (t) {
      tmpfs.push_back(*t);
      continue;
    }
    std::string dest = p.bind ? p.bind->destination : p.volume->destination;
    auto it = by_dest.find(dest);
    if (it != by_dest.end() && !it->second.anonymous)
      return fail_msg("duplicate mount point: " + dest);
    put(dest, std::move(p));
  }
  for (const auto& [dest_raw, data] : host.tmpfs) {
    if (auto ok = check_destination(dest_raw); !ok)
      return fail(ok.error().wrap("invalid tmpfs " + quote(dest_raw)));
    tmpfs.push_back({clean_path(dest_raw), data});
  }

  std::set<std::string> tmpfs_dests;
  for (const auto& t : tmpfs) {
    if (!tmpfs_dests.insert(t.destination).second)
      return fail_msg("duplicate mount point: " + t.destination);
  }
  for (const auto& dest : order) {
    if (tmpfs_dests.count(dest)) continue;
    auto& p = by_dest[dest];
    if (p.bind) {
      plan.mounts.push_back(std::move(*p.bind));
    } else {
      plan.volumes.push_back(std::move(*p.volume));
    }
  }
  for (const auto& t : tmpfs) plan.mounts.push_back(BERTH_TRY(tmpfs_mount(t)));
  return plan;
}

}  // namespace berth::engine
