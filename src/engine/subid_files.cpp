#include "engine/subid_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <charconv>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "base/syscalls.hpp"

namespace berth::engine {
namespace {

constexpr uint64_t kFirstSubid = 100000;
constexpr uint64_t kAlign = 65536;
constexpr uint64_t kIdLimit = 4294967295u;

bool parse_u64(const std::string& text, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// Every range in the file, whoever has it, as half-open intervals; lines that are no range are
// skipped (shadow skips them too).
Status read_all_ranges(const std::string& file, std::vector<std::pair<uint64_t, uint64_t>>& out) {
  if (!fs::exists(file)) return {};
  std::string text = BERTH_TRY(fs::read_file(file));
  for (const auto& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto fields = split(line, ':');
    uint64_t start = 0, count = 0;
    if (fields.size() != 3 || !parse_u64(fields[1], start) || !parse_u64(fields[2], count))
      continue;
    if (count > 0) out.emplace_back(start, start + count);
  }
  return {};
}

uint64_t align_up(uint64_t v) {
  return (v + kAlign - 1) / kAlign * kAlign;
}

}  // namespace

Result<SubidLock> SubidLock::acquire(const SubidFiles& files) {
  const std::string dir = fs::dirname(files.subuid);
  SubidLock lock;
  lock.fd_ = BERTH_TRY(sys::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  while (::flock(lock.fd_.get(), LOCK_EX) < 0)
    if (errno != EINTR) return fail_sys("lock " + quote(dir));
  return lock;
}

Result<SubordinateRange> free_subid_range(const SubidFiles& files, uint32_t count) {
  std::vector<std::pair<uint64_t, uint64_t>> used;
  BERTH_CHECK(read_all_ranges(files.subuid, used));
  BERTH_CHECK(read_all_ranges(files.subgid, used));
  uint64_t start = align_up(kFirstSubid);
  for (bool moved = true; moved;) {
    moved = false;
    for (const auto& [s, e] : used) {
      if (s < start + count && start < e) {
        start = align_up(e);
        moved = true;
      }
    }
    if (start + count > kIdLimit)
      return fail_msg("no free range of " + std::to_string(count) + " ids in " + files.subuid +
                      " and " + files.subgid);
  }
  return SubordinateRange{static_cast<uint32_t>(start), count};
}

Status append_subid_range(const std::string& file, const std::string& owner, SubordinateRange r) {
  auto fd = BERTH_TRY(sys::open(file, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return fail_sys("stat " + quote(file));
  std::string line = owner + ":" + std::to_string(r.start) + ":" + std::to_string(r.count) + "\n";
  if (st.st_size > 0) {
    char last = 0;
    if (::pread(fd.get(), &last, 1, st.st_size - 1) != 1) return fail_sys("read " + quote(file));
    if (last != '\n') line.insert(line.begin(), '\n');
  }
  auto written = sys::write_all(fd.get(), line);
  if (!written) return fail(written.error().wrap("append to " + quote(file)));
  return {};
}

Result<std::string> subid_fix_command(const SubidFiles& files, bool gids, const std::string& owner,
                                      bool login, uint32_t count) {
  auto r = BERTH_TRY(free_subid_range(files, count));
  if (login)
    return "usermod --add-sub" + std::string(gids ? "gids " : "uids ") + std::to_string(r.start) +
           "-" + std::to_string(uint64_t{r.start} + r.count - 1) + " " + owner;
  return "echo " + owner + ":" + std::to_string(r.start) + ":" + std::to_string(r.count) + " >> " +
         (gids ? files.subgid : files.subuid);
}

Status check_subid_ranges(const SubidFiles& files, bool gids, const std::string& who,
                          const std::string& owner, bool login,
                          const std::vector<SubordinateRange>& ranges, uint32_t min_ids) {
  const std::string& file = gids ? files.subgid : files.subuid;
  const std::string kind = gids ? "gid" : "uid";
  for (const auto& r : ranges)
    if (r.start == 0)
      return fail_msg(who + ": " + file + " gives " + owner + " a range that contains host " +
                      kind + " 0 (" + owner + ":0:" + std::to_string(r.count) +
                      "): container root would be host root; remove it");
  uint64_t total = 0;
  for (const auto& r : ranges) total += r.count;
  if (total > 0 && total >= min_ids) return {};
  const uint32_t wanted = min_ids > 0 ? min_ids : kUsernsDefaultSize;
  std::string fix = BERTH_TRY(subid_fix_command(files, gids, owner, login, wanted));
  if (total == 0)
    return fail_msg(who + ": " + file + " gives " + owner + " no subordinate " + kind +
                    "s: add a range, e.g. " + fix);
  return fail_msg(who + ": " + file + " gives " + owner + " only " + std::to_string(total) +
                  " subordinate " + kind + "s, " + std::to_string(min_ids) +
                  " needed: add a range, e.g. " + fix);
}

Result<IdMap> subid_map(const SubidFiles& files, const std::string& who,
                        const SubidOwner& uid_owner, const SubidOwner& gid_owner,
                        uint32_t min_ids) {
  // No id: 4294967295 is no valid id, so no line names it.
  auto read = [&](const std::string& file, const SubidOwner& owner) {
    return subordinate_ranges(file, owner.name, owner.id.value_or(4294967295u));
  };
  auto uids = distinct_ranges(BERTH_TRY(read(files.subuid, uid_owner)));
  BERTH_CHECK(
      check_subid_ranges(files, false, who, uid_owner.name, uid_owner.login, uids, min_ids));
  auto gids = distinct_ranges(BERTH_TRY(read(files.subgid, gid_owner)));
  BERTH_CHECK(check_subid_ranges(files, true, who, gid_owner.name, gid_owner.login, gids, min_ids));
  return IdMap::from_ranges(uids, gids);
}

}  // namespace berth::engine
