#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "engine/id_map.hpp"
#include "engine/subordinate_ids.hpp"

namespace berth::engine {

// Where subordinate ids are read and added. The defaults are the real files, written through
// shadow's useradd and usermod; unit tests point at temp files with create_users false.
struct SubidFiles {
  std::string subuid = "/etc/subuid", subgid = "/etc/subgid";
  bool create_users = true;
  // The user that userns-remap "default" stands for (created when missing and create_users).
  std::string default_user = "berthremap";
};

inline constexpr uint32_t kUsernsDefaultSize = 65536;

// An exclusive flock on the folder of files.subuid (/etc, as the integration tests' helpers take
// it): held while ranges are looked for and added, so that two processes never add the same.
class SubidLock {
 public:
  static Result<SubidLock> acquire(const SubidFiles& files);

 private:
  unique_fd fd_;
};

// The lowest multiple of 65536 from 100000 up where count ids overlap no line of either file.
Result<SubordinateRange> free_subid_range(const SubidFiles& files, uint32_t count);

// Appends "owner:start:count" to file (created 0644 when missing).
Status append_subid_range(const std::string& file, const std::string& owner, SubordinateRange r);

// The command that gives owner count subordinate uids (gids when gids): `usermod --add-subuids
// 131072-196607 bob` for a login name, else `echo 1234:131072:65536 >> /etc/subuid`.
Result<std::string> subid_fix_command(const SubidFiles& files, bool gids, const std::string& owner,
                                      bool login, uint32_t count);

// Checks the ranges owner has in file: none, or fewer than min_ids (0: any number will do), or one
// that contains host id 0, gives an error that starts with who and says how to fix the file.
Status check_subid_ranges(const SubidFiles& files, bool gids, const std::string& who,
                          const std::string& owner, bool login,
                          const std::vector<SubordinateRange>& ranges, uint32_t min_ids);

// Whose subordinate ids to read: a line names them by name or by id.
struct SubidOwner {
  std::string name;            // the login or group name, or the number when it has none
  std::optional<uint32_t> id;  // none: looked up by name only
  bool login = false;          // a login of that name exists (usermod can add to it)
};

// The map from uid_owner's ranges in files.subuid and gid_owner's in files.subgid, each checked
// by check_subid_ranges.
Result<IdMap> subid_map(const SubidFiles& files, const std::string& who,
                        const SubidOwner& uid_owner, const SubidOwner& gid_owner, uint32_t min_ids);

}  // namespace berth::engine
