#include "engine/volume_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "engine/container_names.hpp"
#include "engine/volume_options.hpp"

namespace berth::engine {
namespace {

using json = nlohmann::json;

constexpr std::string_view kSchemaV1 = R"(
CREATE TABLE volumes (
  name TEXT PRIMARY KEY,
  driver TEXT NOT NULL,
  created TEXT NOT NULL,
  labels TEXT NOT NULL,
  options TEXT NOT NULL,
  anonymous INTEGER NOT NULL
);
)";

constexpr std::string_view kColumns = "name, driver, created, labels, options, anonymous";

Result<std::map<std::string, std::string>> parse_map(const sqlite::Statement& s, int i,
                                                     const std::string& what) {
  try {
    return json::parse(s.column_text(i)).get<std::map<std::string, std::string>>();
  } catch (const json::exception& e) {
    return fail_msg("volume " + s.column_text(0) + ": " + what + " in the database: " + e.what());
  }
}

bool valid_name(const std::string& name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.size() < 2 || !alnum(name[0])) return false;
  for (char c : name.substr(1))
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

Status check_driver(const std::string& name, const std::string& driver) {
  if (driver.empty() || driver == "local") return {};
  return fail_msg("create " + name + ": error looking up volume plugin " + driver + ": plugin " +
                  quote(driver) +
                  " not found (berth has no volume plugins, only the local driver)");
}

bool matches(const VolumeRecord& v, const VolumeLabelFilter& f) {
  auto it = v.labels.find(f.key);
  bool hit = it != v.labels.end() && (!f.value || it->second == *f.value);
  return f.negate ? !hit : hit;
}

}  // namespace

Status check_volume_name(const std::string& name) {
  if (name.size() == 1)
    return fail_msg(
        "volume name is too short, names should be at least two alphanumeric characters");
  if (!valid_name(name))
    return fail_msg(quote(name) +
                    " includes invalid characters for a local volume name, only "
                    "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                    "directory, use absolute path");
  return {};
}

std::string random_volume_name() {
  return new_container_id();
}

Result<VolumeService> VolumeService::open(const std::string& data_root, bool rootless) {
  BERTH_CHECK(fs::mkdir_p(data_root, 0700));
  std::string volumes = fs::join(data_root, "volumes");
  if (::mkdir(volumes.c_str(), 0701) < 0 && errno != EEXIST)
    return fail_sys("mkdir " + quote(volumes));
  auto db = BERTH_TRY(sqlite::Db::open(fs::join(data_root, "berth.db")));
  BERTH_CHECK(db.migrate("volumes", {kSchemaV1}));
  return VolumeService(std::move(db), std::move(volumes), rootless);
}

std::string VolumeService::volume_dir(const std::string& name) const {
  return volumes_dir_ + "/" + name;
}

Result<unique_fd> VolumeService::open_data_dir(const std::string& name, int flags) {
  auto volumes = BERTH_TRY(sys::open(volumes_dir_, O_PATH | O_DIRECTORY));
  return sys::openat2(volumes.get(), name + "/_data", static_cast<uint64_t>(flags | O_DIRECTORY),
                      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

Result<VolumeRecord> VolumeService::create(const std::string& requested, const std::string& driver,
                                           const std::map<std::string, std::string>& options,
                                           const std::map<std::string, std::string>& labels) {
  VolumeRecord v;
  v.name = requested;
  v.labels = labels;
  v.options = options;
  if (v.name.empty()) {
    v.name = random_volume_name();
    v.anonymous = true;
    v.labels[kVolumeAnonymousLabel] = "";
  }
  if (auto checked = check_volume_name(v.name); !checked)
    return fail(checked.error().wrap("create " + v.name));
  BERTH_CHECK(check_driver(v.name, driver));
  if (auto checked = check_local_volume_options(options); !checked)
    return fail(checked.error().wrap("create " + v.name));

  auto tx = BERTH_TRY(sqlite::Transaction::begin(db_));
  if (auto existing = BERTH_TRY(find(v.name))) {
    if (options.empty() || options == existing->options) return std::move(*existing);
    return fail_msg("create " + v.name + ": volume name must be unique: volume " + v.name +
                    " already exists with other options");
  }
  std::string dir = volume_dir(v.name);
  bool made = ::mkdir(dir.c_str(), 0755) == 0;
  if (!made && errno != EEXIST) return fail_sys("create " + v.name + ": mkdir " + quote(dir));
  auto undo = [&] {
    if (made) (void)fs::remove_all(dir);
  };
  std::string data = dir + "/_data";
  if (::mkdir(data.c_str(), 0755) < 0 && errno != EEXIST) {
    Error e = sys_error("create " + v.name + ": mkdir " + quote(data));
    undo();
    return fail(e);
  }
  v.created = rfc3339_now();
  v.mountpoint = data;
  auto insert = [&]() -> Status {
    auto ins = BERTH_TRY(db_.prepare("INSERT INTO volumes (" + std::string(kColumns) +
                                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    BERTH_CHECK(ins.bind(1, v.name));
    BERTH_CHECK(ins.bind(2, v.driver));
    BERTH_CHECK(ins.bind(3, v.created));
    BERTH_CHECK(ins.bind(4, json(v.labels).dump()));
    BERTH_CHECK(ins.bind(5, json(v.options).dump()));
    BERTH_CHECK(ins.bind(6, int64_t{v.anonymous ? 1 : 0}));
    (void)BERTH_TRY(ins.step());
    return tx.commit();
  };
  if (auto done = insert(); !done) {
    undo();
    return fail(done.error());
  }
  return v;
}

Result<std::optional<VolumeRecord>> VolumeService::find(const std::string& name) {
  auto q =
      BERTH_TRY(db_.prepare("SELECT " + std::string(kColumns) + " FROM volumes WHERE name = ?1"));
  BERTH_CHECK(q.bind(1, name));
  if (!BERTH_TRY(q.step())) return std::optional<VolumeRecord>();
  VolumeRecord v;
  v.name = q.column_text(0);
  v.driver = q.column_text(1);
  v.created = q.column_text(2);
  v.labels = BERTH_TRY(parse_map(q, 3, "labels"));
  v.options = BERTH_TRY(parse_map(q, 4, "options"));
  v.anonymous = q.column_int64(5) != 0;
  v.mountpoint = volume_dir(v.name) + "/_data";
  return std::optional<VolumeRecord>(std::move(v));
}

Result<VolumeRecord> VolumeService::get(const std::string& name) {
  auto found = BERTH_TRY(find(name));
  if (!found) return fail_msg("No such volume: " + name);
  return std::move(*found);
}

Result<std::vector<VolumeRecord>> VolumeService::list() {
  auto q = BERTH_TRY(db_.prepare("SELECT name FROM volumes ORDER BY name"));
  std::vector<std::string> names;
  while (BERTH_TRY(q.step())) names.push_back(q.column_text(0));
  std::vector<VolumeRecord> out;
  for (const auto& n : names)
    if (auto v = BERTH_TRY(find(n))) out.push_back(std::move(*v));
  return out;
}

Status VolumeService::remove(const std::string& name, bool force,
                             const std::vector<std::string>& users) {
  auto found = BERTH_TRY(find(name));
  if (!found) {
    if (force) return {};
    return fail_msg("get " + name + ": no such volume");
  }
  if (!users.empty()) {
    std::string ids;
    for (const auto& id : users) ids += (ids.empty() ? "" : ", ") + id;
    return fail_msg("remove " + name + ": volume is in use - [" + ids + "]");
  }
  // The folder goes first: a record without a folder is still removable, a folder without a
  // record would be lost.
  auto removed = [&]() -> Status {
    BERTH_CHECK(unmount(*found));
    auto volumes = BERTH_TRY(sys::open(volumes_dir_, O_RDONLY | O_DIRECTORY));
    auto data = open_data_dir(name, O_PATH);
    if (data) {
      struct statx stx {};
      if (::statx(data->get(), "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
        return fail_sys("stat " + quote(found->mountpoint));
      // Never delete through a mount: that would be the files of whatever is mounted there.
      if (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)
        return fail_msg(quote(found->mountpoint) + " is still a mount point");
    }
    return fs::remove_all_at(volumes.get(), name);
  }();
  if (!removed && !force) return fail(removed.error().wrap("remove " + name));
  auto q = BERTH_TRY(db_.prepare("DELETE FROM volumes WHERE name = ?1"));
  BERTH_CHECK(q.bind(1, name));
  (void)BERTH_TRY(q.step());
  return {};
}

Result<VolumePruneReport> VolumeService::prune(const std::vector<VolumeLabelFilter>& filters,
                                               bool all, const std::set<std::string>& in_use) {
  VolumePruneReport report;
  for (const auto& v : BERTH_TRY(list())) {
    if (v.driver != "local" || in_use.contains(v.name)) continue;
    if (!all && !v.anonymous && !v.labels.contains(kVolumeAnonymousLabel)) continue;
    bool selected = true;
    for (const auto& f : filters) selected = selected && matches(v, f);
    if (!selected) continue;
    uint64_t size = volume_size(v).value_or(0);
    // As Docker's prune: a volume that cannot be removed stays, the others go.
    if (!remove(v.name, false, {})) continue;
    report.deleted.push_back(v.name);
    report.reclaimed += size;
  }
  return report;
}

}  // namespace berth::engine
