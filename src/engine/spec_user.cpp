#include "engine/spec_user.hpp"

#include <fcntl.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "base/fs.hpp"
#include "base/root_path.hpp"
#include "base/strings.hpp"

namespace berth::engine {

namespace {

constexpr uint32_t kMaxId = 2147483647;  // ids above 2^31-1 are refused, as Docker does

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

std::optional<uint32_t> parse_id(const std::string& text) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

// A missing file reads as empty: numeric ids still work, names find no entry.
Result<std::string> read_in_root(int root_fd, const std::string& path) {
  auto fd = root_path::open(root_fd, path, O_RDONLY | O_CLOEXEC);
  if (!fd) {
    if (fd.error().errno_value == ENOENT) return std::string();
    return fail(fd.error());
  }
  auto text = fs::read_fd(fd->get());
  if (!text) return fail(text.error().wrap("read " + quote(path)));
  return *text;
}

std::vector<std::vector<std::string>> colon_lines(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  for (auto& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(split(line, ':'));
  }
  return out;
}

std::vector<PasswdEntry> parse_passwd(const std::string& text) {
  std::vector<PasswdEntry> out;
  for (auto& f : colon_lines(text)) {
    if (f.size() < 4) continue;
    out.push_back({f[0], parse_id(f[2]).value_or(0), parse_id(f[3]).value_or(0)});
  }
  return out;
}

std::vector<GroupEntry> parse_group(const std::string& text) {
  std::vector<GroupEntry> out;
  for (auto& f : colon_lines(text)) {
    if (f.size() < 3) continue;
    GroupEntry g{f[0], parse_id(f[2]).value_or(0), {}};
    if (f.size() > 3 && !f[3].empty()) g.members = split(f[3], ',');
    out.push_back(std::move(g));
  }
  return out;
}

Result<uint32_t> checked(uint32_t id, const std::string& what) {
  if (id > kMaxId) return fail_msg(what + " " + std::to_string(id) + ": out of range 0-2147483647");
  return id;
}

void add_unique(std::vector<uint32_t>& gids, uint32_t gid) {
  if (std::find(gids.begin(), gids.end(), gid) == gids.end()) gids.push_back(gid);
}

}  // namespace

Result<ExecUser> resolve_user(int root_fd, const std::string& user_spec,
                              const std::vector<std::string>& group_add) {
  return resolve_user_in(BERTH_TRY(read_in_root(root_fd, "/etc/passwd")),
                         BERTH_TRY(read_in_root(root_fd, "/etc/group")), user_spec, group_add);
}

Result<ExecUser> resolve_user_in(const std::string& passwd, const std::string& group,
                                 const std::string& user_spec,
                                 const std::vector<std::string>& group_add) {
  auto colon = user_spec.find(':');
  std::string user_arg = user_spec.substr(0, colon);
  std::string group_arg = colon == std::string::npos ? "" : user_spec.substr(colon + 1);
  auto users = parse_passwd(passwd);
  auto groups = parse_group(group);

  ExecUser out;
  auto uid_arg = parse_id(user_arg);
  const PasswdEntry* matched = nullptr;
  for (const auto& u : users) {
    bool hit = user_arg.empty() ? u.uid == 0 : uid_arg ? u.uid == *uid_arg : u.name == user_arg;
    if (hit) {
      matched = &u;
      break;
    }
  }
  if (matched) {
    out.uid = matched->uid;
    out.gid = matched->gid;
  } else if (!user_arg.empty()) {
    if (!uid_arg)
      return fail_msg("unable to find user " + user_arg + ": no matching entries in passwd file");
    out.uid = *uid_arg;
  }
  out.uid = BERTH_TRY(checked(out.uid, "uid"));

  std::vector<uint32_t> supplementary;
  if (!group_arg.empty()) {
    auto gid_arg = parse_id(group_arg);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const GroupEntry& g) {
      return gid_arg ? g.gid == *gid_arg : g.name == group_arg;
    });
    if (it != groups.end()) {
      out.gid = it->gid;
    } else if (gid_arg) {
      out.gid = *gid_arg;
    } else {
      return fail_msg("unable to find group " + group_arg + ": no matching entries in group file");
    }
  } else if (matched) {
    for (const auto& g : groups)
      if (std::find(g.members.begin(), g.members.end(), matched->name) != g.members.end())
        supplementary.push_back(g.gid);
  }
  out.gid = BERTH_TRY(checked(out.gid, "gid"));

  out.additional_gids.push_back(out.gid);
  for (uint32_t gid : supplementary) add_unique(out.additional_gids, gid);
  for (const auto& name : group_add) {
    auto gid_arg = parse_id(name);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const GroupEntry& g) {
      return g.name == name || (gid_arg && g.gid == *gid_arg);
    });
    uint32_t gid = 0;
    if (it != groups.end()) {
      gid = it->gid;
    } else if (gid_arg) {
      gid = *gid_arg;
    } else {
      return fail_msg("unable to find group " + name + ": no matching entries in group file");
    }
    add_unique(out.additional_gids, BERTH_TRY(checked(gid, "gid")));
  }
  return out;
}

}  // namespace berth::engine
