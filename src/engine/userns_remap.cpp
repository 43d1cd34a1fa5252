#include "engine/userns_remap.hpp"

#include <charconv>

#include "base/strings.hpp"
#include "base/subprocess.hpp"
#include "engine/host_accounts.hpp"

namespace berth::engine {
namespace {

std::optional<uint32_t> parse_id(const std::string& text) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v == 4294967295u)
    return std::nullopt;
  return v;
}

Result<SubidOwner> find_user(const std::string& text, const std::string& who) {
  if (auto uid = parse_id(text)) {
    auto user = host_user(*uid);
    if (!user) return SubidOwner{text, *uid, false};
    return SubidOwner{user->name, *uid, true};
  }
  auto user = host_user(text);
  if (!user) return fail_msg(who + ": no user " + quote(text));
  return SubidOwner{user->name, user->id, true};
}

Result<SubidOwner> find_group(const std::string& text, const std::string& who) {
  std::optional<HostAccount> group;
  if (auto gid = parse_id(text)) {
    group = host_group(*gid);
    if (!group) return SubidOwner{text, *gid, false};
  } else {
    group = host_group(text);
    if (!group) return fail_msg(who + ": no group " + quote(text));
  }
  return SubidOwner{group->name, group->id, host_user(group->name).has_value()};
}

bool shadow_files(const SubidFiles& files) {
  return files.create_users && files.subuid == "/etc/subuid" && files.subgid == "/etc/subgid";
}

// The default user and its ranges, made when missing. The lock covers the check and the change.
Status ensure_default_user(const SubidFiles& files, const std::string& who) {
  auto lock = BERTH_TRY(SubidLock::acquire(files));
  const std::string& name = files.default_user;
  auto user = host_user(name);
  if (!user) {
    if (!files.create_users) return fail_msg(who + ": no user " + quote(name));
    auto made = subprocess::capture({"useradd", "--system", "--no-create-home", "--home-dir",
                                     "/nonexistent", "--shell", "/usr/sbin/nologin", name});
    if (!made) return fail(made.error().wrap(who + ": create user " + quote(name)));
    user = host_user(name);
    if (!user) return fail_msg(who + ": useradd made no user " + quote(name));
  }
  auto uids = BERTH_TRY(subordinate_ranges(files.subuid, name, user->id));
  auto gids = BERTH_TRY(subordinate_ranges(files.subgid, name, user->id));
  if (!uids.empty() && !gids.empty()) return {};
  auto range = BERTH_TRY(free_subid_range(files, kUsernsDefaultSize));
  if (shadow_files(files)) {
    const std::string ids =
        std::to_string(range.start) + "-" + std::to_string(uint64_t{range.start} + range.count - 1);
    std::vector<std::string> argv = {"usermod"};
    if (uids.empty()) argv.insert(argv.end(), {"--add-subuids", ids});
    if (gids.empty()) argv.insert(argv.end(), {"--add-subgids", ids});
    argv.push_back(name);
    auto added = subprocess::capture(argv);
    if (!added) return fail(added.error().wrap(who + ": add subordinate ids to " + quote(name)));
    return {};
  }
  if (uids.empty()) BERTH_CHECK(append_subid_range(files.subuid, name, range));
  if (gids.empty()) BERTH_CHECK(append_subid_range(files.subgid, name, range));
  return {};
}

}  // namespace

Result<IdMap> resolve_userns_remap(const std::string& value, const SubidFiles& files) {
  const std::string who = "userns-remap " + quote(value);
  std::string spec = value;
  if (value == "default") {
    BERTH_CHECK(ensure_default_user(files, who));
    spec = files.default_user;
  }
  auto parts = split(spec, ':');
  if (parts.size() > 2 || parts[0].empty() || (parts.size() == 2 && parts[1].empty()))
    return fail_msg(who + ": expected default, user, user:group, uid or uid:gid");
  auto user = BERTH_TRY(find_user(parts[0], who));
  // Alone, the user's own lines in subgid count, as newgidmap reads them.
  auto group = parts.size() == 2 ? BERTH_TRY(find_group(parts[1], who)) : user;
  return subid_map(files, who, user, group, kUsernsDefaultSize);
}

}  // namespace berth::engine
