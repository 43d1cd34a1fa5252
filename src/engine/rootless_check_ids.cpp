#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "engine/rootless_check.hpp"

namespace berth::engine {
namespace {

constexpr uint64_t kSubIdMin = 100000;     // login.defs' SUB_UID_MIN
constexpr uint64_t kSubIdMax = 600100000;  // and SUB_UID_MAX

std::string find_in_path(const std::string& name, const std::string& path_env) {
  auto dirs = split(path_env, ':');
  dirs.push_back("/usr/bin");
  for (const auto& dir : dirs) {
    if (dir.empty() || dir[0] != '/') continue;
    std::string candidate = fs::join(dir, name);
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return candidate;
  }
  return {};
}

// Whether the file's capabilities (security.capability) permit cap.
bool file_cap_permits(const std::string& path, int cap) {
  vfs_ns_cap_data data = {};
  ssize_t n = ::getxattr(path.c_str(), "security.capability", &data, sizeof data);
  if (n < static_cast<ssize_t>(sizeof(uint32_t) * 2)) return false;
  const int word = cap / 32;
  const uint32_t revision = data.magic_etc & VFS_CAP_REVISION_MASK;
  if (word > 0 && revision == VFS_CAP_REVISION_1) return false;
  return (data.data[word].permitted & (1u << (cap % 32))) != 0;
}

// "" when path can map ids for an ordinary user, else why not.
std::string id_map_binary_problem(const std::string& path, int cap, const char* cap_name) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return sys_error("stat " + quote(path)).what();
  if (::access(path.c_str(), X_OK) < 0) return path + " is not executable by this user";
  if ((st.st_mode & S_ISUID) != 0 && st.st_uid == 0) return {};
  if (file_cap_permits(path, cap)) return {};
  return path + " is neither setuid root nor has " + cap_name;
}

std::string describe_ranges(const std::vector<SubordinateRange>& ranges, uint64_t total,
                            const std::string& file) {
  if (ranges.size() == 1)
    return std::to_string(total) + " from " + std::to_string(ranges[0].start) + " in " + file;
  return std::to_string(total) + " in " + std::to_string(ranges.size()) + " ranges in " + file;
}

bool parse_u32(const std::string& text, uint32_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

CheckResult check_id_map_binaries(const std::string& path_env) {
  CheckResult r{"uidmap binaries", false, "", ""};
  const std::string uidmap = find_in_path("newuidmap", path_env);
  const std::string gidmap = find_in_path("newgidmap", path_env);
  if (uidmap.empty() || gidmap.empty()) {
    r.detail =
        std::string(uidmap.empty() ? "newuidmap" : "newgidmap") + " not found in PATH or /usr/bin";
    r.fix = "sudo apt-get install uidmap";
    return r;
  }
  std::string problem = id_map_binary_problem(uidmap, CAP_SETUID, "cap_setuid");
  if (problem.empty()) problem = id_map_binary_problem(gidmap, CAP_SETGID, "cap_setgid");
  if (!problem.empty()) {
    r.detail = problem;
    r.fix = "sudo apt-get install --reinstall uidmap";
    return r;
  }
  r.ok = true;
  r.detail = uidmap + " and " + gidmap + " map ids for ordinary users";
  return r;
}

Result<SubordinateRange> free_subordinate_range(const std::vector<std::string>& files,
                                                uint32_t count) {
  std::vector<std::pair<uint64_t, uint64_t>> taken;  // [start, end)
  for (const auto& file : files) {
    if (!fs::exists(file)) continue;
    std::string text = BERTH_TRY(fs::read_file(file));
    for (const auto& line : split(text, '\n')) {
      auto fields = split(line, ':');
      uint32_t start = 0, n = 0;
      if (line.empty() || line[0] == '#' || fields.size() != 3 || !parse_u32(fields[1], start) ||
          !parse_u32(fields[2], n))
        continue;
      taken.emplace_back(start, uint64_t{start} + n);
    }
  }
  std::sort(taken.begin(), taken.end());
  uint64_t candidate = kSubIdMin;
  for (const auto& [start, end] : taken) {
    if (candidate + count <= start) break;
    candidate = std::max(candidate, end);
  }
  if (candidate + count - 1 > kSubIdMax)
    return fail_msg("no free range of " + std::to_string(count) + " subordinate ids below " +
                    std::to_string(kSubIdMax) + " in " + join(files, " and "));
  return SubordinateRange{static_cast<uint32_t>(candidate), count};
}

CheckResult check_subordinate_ids(const std::string& ids, const std::string& file,
                                  const std::string& other_file, const std::string& user,
                                  uid_t uid) {
  CheckResult r{"subordinate " + ids, false, "", ""};
  auto ranges = subordinate_ranges(file, user, uid);
  if (!ranges) {
    r.detail = ranges.error().what();
    r.fix = "correct that line of " + file + " (NAME:FIRST:COUNT)";
    return r;
  }
  uint64_t total = 0;
  for (const auto& range : *ranges) total += range.count;
  if (total >= kRootlessIdCount) {
    r.ok = true;
    r.detail = describe_ranges(*ranges, total, file);
    return r;
  }
  r.detail = total == 0 ? "none for " + user + " in " + file
                        : "only " + describe_ranges(*ranges, total, file) + " for " + user + ", " +
                              std::to_string(kRootlessIdCount) + " needed";
  auto free = free_subordinate_range({file, other_file}, kRootlessIdCount);
  if (!free) {
    r.fix = "add a range of " + std::to_string(kRootlessIdCount) + " ids for " + user + " to " +
            file + " (" + free.error().what() + ")";
    return r;
  }
  const std::string option = ids == "uids" ? "--add-subuids" : "--add-subgids";
  r.fix = "sudo usermod " + option + " " + std::to_string(free->start) + "-" +
          std::to_string(uint64_t{free->start} + free->count - 1) + " " + user;
  return r;
}

}  // namespace berth::engine
