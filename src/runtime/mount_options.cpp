#include "runtime/mount_options.hpp"

#include <sys/mount.h>

#include <charconv>
#include <string_view>

namespace berth::runtime {

namespace {

enum class Kind { set, clear, propagation, rec_set, rec_clr, rec_atime, extension };

struct Option {
  std::string_view name;
  Kind kind;
  uint64_t value;
};

// clang-format off
constexpr Option kOptions[] = {
    {"defaults", Kind::set, 0},
    {"ro", Kind::set, MS_RDONLY},                {"rw", Kind::clear, MS_RDONLY},
    {"nosuid", Kind::set, MS_NOSUID},            {"suid", Kind::clear, MS_NOSUID},
    {"nodev", Kind::set, MS_NODEV},              {"dev", Kind::clear, MS_NODEV},
    {"noexec", Kind::set, MS_NOEXEC},            {"exec", Kind::clear, MS_NOEXEC},
    {"sync", Kind::set, MS_SYNCHRONOUS},         {"async", Kind::clear, MS_SYNCHRONOUS},
    {"dirsync", Kind::set, MS_DIRSYNC},
    {"remount", Kind::set, MS_REMOUNT},
    {"mand", Kind::set, MS_MANDLOCK},            {"nomand", Kind::clear, MS_MANDLOCK},
    {"noatime", Kind::set, MS_NOATIME},          {"atime", Kind::clear, MS_NOATIME},
    {"nodiratime", Kind::set, MS_NODIRATIME},    {"diratime", Kind::clear, MS_NODIRATIME},
    {"relatime", Kind::set, MS_RELATIME},        {"norelatime", Kind::clear, MS_RELATIME},
    {"strictatime", Kind::set, MS_STRICTATIME},  {"nostrictatime", Kind::clear, MS_STRICTATIME},
    {"lazytime", Kind::set, MS_LAZYTIME},        {"nolazytime", Kind::clear, MS_LAZYTIME},
    {"iversion", Kind::set, MS_I_VERSION},       {"noiversion", Kind::clear, MS_I_VERSION},
    {"silent", Kind::set, MS_SILENT},            {"loud", Kind::clear, MS_SILENT},
    {"acl", Kind::set, MS_POSIXACL},             {"noacl", Kind::clear, MS_POSIXACL},
    {"nosymfollow", Kind::set, MS_NOSYMFOLLOW},  {"symfollow", Kind::clear, MS_NOSYMFOLLOW},
    {"bind", Kind::set, MS_BIND},                {"rbind", Kind::set, MS_BIND | MS_REC},
    {"private", Kind::propagation, MS_PRIVATE},  {"rprivate", Kind::propagation, MS_PRIVATE | MS_REC},
    {"shared", Kind::propagation, MS_SHARED},    {"rshared", Kind::propagation, MS_SHARED | MS_REC},
    {"slave", Kind::propagation, MS_SLAVE},      {"rslave", Kind::propagation, MS_SLAVE | MS_REC},
    {"unbindable", Kind::propagation, MS_UNBINDABLE},
    {"runbindable", Kind::propagation, MS_UNBINDABLE | MS_REC},
    {"rro", Kind::rec_set, MOUNT_ATTR_RDONLY},         {"rrw", Kind::rec_clr, MOUNT_ATTR_RDONLY},
    {"rnosuid", Kind::rec_set, MOUNT_ATTR_NOSUID},     {"rsuid", Kind::rec_clr, MOUNT_ATTR_NOSUID},
    {"rnodev", Kind::rec_set, MOUNT_ATTR_NODEV},       {"rdev", Kind::rec_clr, MOUNT_ATTR_NODEV},
    {"rnoexec", Kind::rec_set, MOUNT_ATTR_NOEXEC},     {"rexec", Kind::rec_clr, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", Kind::rec_set, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", Kind::rec_clr, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", Kind::rec_set, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", Kind::rec_clr, MOUNT_ATTR_NOSYMFOLLOW},
    {"rrelatime", Kind::rec_atime, MOUNT_ATTR_RELATIME},
    {"rnorelatime", Kind::rec_atime, MOUNT_ATTR_RELATIME},
    {"rnoatime", Kind::rec_atime, MOUNT_ATTR_NOATIME},
    {"ratime", Kind::rec_atime, MOUNT_ATTR_RELATIME},
    {"rstrictatime", Kind::rec_atime, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", Kind::rec_atime, MOUNT_ATTR_RELATIME},
    {"tmpcopyup", Kind::extension, 0},           {"notmpcopyup", Kind::extension, 0},
    {"idmap", Kind::extension, 0},               {"ridmap", Kind::extension, 0},
    {"copy-symlink", Kind::extension, 0},        {"src-nofollow", Kind::extension, 0},
};
// clang-format on

// Only one atime mode holds: the last one given wins.
constexpr unsigned long kAtimeFlags = MS_NOATIME | MS_STRICTATIME | MS_RELATIME;

const Option* find_option(std::string_view name) {
  for (const auto& o : kOptions)
    if (o.name == name) return &o;
  return nullptr;
}

bool parse_u32(std::string_view s, uint32_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "0-1000-10#10-2000-10": container-host-size entries.
bool parse_idmap_list(std::string_view s, std::vector<IdMapping>& out) {
  while (!s.empty()) {
    auto hash = s.find('#');
    std::string_view entry = s.substr(0, hash);
    s = hash == std::string_view::npos ? std::string_view() : s.substr(hash + 1);
    auto d1 = entry.find('-');
    auto d2 = d1 == std::string_view::npos ? d1 : entry.find('-', d1 + 1);
    if (d2 == std::string_view::npos) return false;
    IdMapping m;
    if (!parse_u32(entry.substr(0, d1), m.container_id) ||
        !parse_u32(entry.substr(d1 + 1, d2 - d1 - 1), m.host_id) ||
        !parse_u32(entry.substr(d2 + 1), m.size) || m.size == 0)
      return false;
    out.push_back(m);
  }
  return true;
}

// "uids=0-1000-10;gids=0-1000-10"
bool parse_idmap_value(std::string_view v, MountOptions& o) {
  while (!v.empty()) {
    auto semi = v.find(';');
    std::string_view part = v.substr(0, semi);
    v = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
    if (part.starts_with("uids=")) {
      if (!parse_idmap_list(part.substr(5), o.idmap_uids)) return false;
    } else if (part.starts_with("gids=")) {
      if (!parse_idmap_list(part.substr(5), o.idmap_gids)) return false;
    } else {
      return false;
    }
  }
  return true;
}

uint64_t atime_attr(unsigned long flags) {
  if (flags & MS_NOATIME) return MOUNT_ATTR_NOATIME;
  if (flags & MS_STRICTATIME) return MOUNT_ATTR_STRICTATIME;
  return MOUNT_ATTR_RELATIME;
}

}  // namespace

uint64_t MountOptions::attr_set() const {
  uint64_t a = 0;
  if (flags & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) a |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOSYMFOLLOW) a |= MOUNT_ATTR_NOSYMFOLLOW;
  a |= atime_attr(flags);
  return a;
}

uint64_t MountOptions::attr_clr() const {
  uint64_t a = 0;
  if (clear_flags & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
  if (clear_flags & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
  if (clear_flags & MS_NODEV) a |= MOUNT_ATTR_NODEV;
  if (clear_flags & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
  if (clear_flags & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
  if (clear_flags & MS_NOSYMFOLLOW) a |= MOUNT_ATTR_NOSYMFOLLOW;
  // The atime mode is one field: any atime option replaces it as a whole.
  if ((flags | clear_flags) & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) a |= MOUNT_ATTR__ATIME;
  return a;
}

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options, bool bind) {
  MountOptions o;
  for (const auto& opt : options) {
    std::string_view name = opt;
    auto eq = name.find('=');
    std::string_view key = name.substr(0, eq);
    if (eq != std::string_view::npos && (key == "idmap" || key == "ridmap")) {
      o.idmap = true;
      o.recursive_idmap = key == "ridmap";
      if (!parse_idmap_value(name.substr(eq + 1), o))
        return fail_msg("bad id mapping in option " + quote(opt));
      continue;
    }
    const Option* known = eq == std::string_view::npos ? find_option(name) : nullptr;
    if (known == nullptr) {
      if (name.starts_with("x-")) continue;  // userspace options (mount(8) ignores them too)
      if (bind) {
        // Filesystem data (mode=, size=) means nothing to a bind mount: the kernel ignores it,
        // and runc passes it. An unknown flag word is still a mistake worth naming.
        if (eq != std::string_view::npos) continue;
        return fail_msg("unknown option " + quote(opt));
      }
      if (!o.data.empty()) o.data += ',';
      o.data += opt;
      continue;
    }
    switch (known->kind) {
      case Kind::set:
        if (known->value & kAtimeFlags) o.flags &= ~kAtimeFlags;
        o.flags |= known->value;
        o.clear_flags &= ~known->value;
        break;
      case Kind::clear:
        o.clear_flags |= known->value;
        o.flags &= ~known->value;
        break;
      case Kind::propagation:
        o.propagation.push_back(known->value);
        break;
      case Kind::rec_set:
        o.rec_attr_set |= known->value;
        o.rec_attr_clr &= ~known->value;
        break;
      case Kind::rec_clr:
        o.rec_attr_clr |= known->value;
        o.rec_attr_set &= ~known->value;
        break;
      case Kind::rec_atime:
        o.rec_attr_set = (o.rec_attr_set & ~uint64_t{MOUNT_ATTR__ATIME}) | known->value;
        o.rec_attr_clr |= MOUNT_ATTR__ATIME;
        break;
      case Kind::extension:
        if (name == "tmpcopyup" || name == "notmpcopyup") o.tmpcopyup = name == "tmpcopyup";
        if (name == "idmap") o.idmap = true;
        if (name == "ridmap") o.idmap = o.recursive_idmap = true;
        if (name == "copy-symlink") o.copy_symlink = true;
        if (name == "src-nofollow") o.src_nofollow = true;
        break;
    }
  }
  o.bind = bind || (o.flags & MS_BIND) != 0;
  o.recursive = (o.flags & MS_REC) != 0;
  return o;
}

bool is_bind_mount(const Mount& m) {
  if (m.type == "bind") return true;
  for (const auto& opt : m.options)
    if (opt == "bind" || opt == "rbind") return true;
  return false;
}

Result<unsigned long> parse_propagation(const std::string& name) {
  const Option* o = find_option(name);
  if (o == nullptr || o->kind != Kind::propagation)
    return fail_msg("unknown propagation " + quote(name));
  return static_cast<unsigned long>(o->value);
}

}  // namespace berth::runtime
