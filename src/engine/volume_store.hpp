#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/sqlite.hpp"
#include "base/unique_fd.hpp"
#include "engine/owner_translation.hpp"

// Named volumes of the `local` driver, as Docker keeps them: a record in <data>/berth.db and a
// folder <data>/volumes/<name>/_data that containers mount.
namespace berth::engine {

inline constexpr const char* kVolumeAnonymousLabel = "com.docker.volume.anonymous";

struct VolumeOwner {
  uid_t uid = 0;
  gid_t gid = 0;
};

struct VolumeRecord {
  std::string name;
  std::string driver = "local";
  std::string mountpoint;  // <data>/volumes/<name>/_data
  std::string created;     // RFC 3339 with nanoseconds
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;  // the driver's: type, device, o, size
  bool anonymous = false;  // made for a container without a name; `volume prune` takes these
};

// A `label=` or `label!=` filter of prune and ls: key alone matches any value.
struct VolumeLabelFilter {
  std::string key;
  std::optional<std::string> value;
  bool negate = false;  // label!=
};

struct VolumePruneReport {
  std::vector<std::string> deleted;
  uint64_t reclaimed = 0;  // bytes
};

class VolumeService {
 public:
  static Result<VolumeService> open(const std::string& data_root, bool rootless = false);

  // An empty name makes an anonymous volume with 64 random hex digits as its name (the label
  // com.docker.volume.anonymous marks it). An existing name is returned as it is when options
  // are empty or the same; other options are a conflict. Driver "" means local; others are
  // Docker's `plugin "x" not found`, since berth has no volume plugins.
  Result<VolumeRecord> create(const std::string& name, const std::string& driver,
                              const std::map<std::string, std::string>& options,
                              const std::map<std::string, std::string>& labels);
  Result<std::optional<VolumeRecord>> find(const std::string& name);
  Result<VolumeRecord> get(const std::string& name);  // missing: "No such volume: x"
  Result<std::vector<VolumeRecord>> list();           // by name
  // users: ids of the containers that use it (containers_using_volume); any is Docker's
  // `remove x: volume is in use - [ids]`, force or not. force: a missing volume is no error and
  // the record goes even when its folder cannot be removed.
  Status remove(const std::string& name, bool force, const std::vector<std::string>& users);
  // Removes the volumes no container uses (in_use: their names) that match every filter; only
  // anonymous ones unless all. Reports names and the bytes their folders held.
  Result<VolumePruneReport> prune(const std::vector<VolumeLabelFilter>& filters, bool all,
                                  const std::set<std::string>& in_use);

  // The folder a container mounts. A volume with type/device options has its filesystem mounted
  // there first, in the caller's mount namespace, unless something is mounted there already.
  Result<std::string> mount(const VolumeRecord& volume);
  // Unmounts what mount() mounted; nothing when nothing is mounted.
  Status unmount(const VolumeRecord& volume);
  // Docker's copy of the image's files at container_path (resolved in the root rootfs_dir_fd)
  // into the volume, when the volume is empty. A missing container_path copies nothing.
  // translate, when set, gives the owner a file of the root is stored with (a remapped
  // container's root shows host ids; volumes hold the container's).
  Status copy_up(const VolumeRecord& volume, int rootfs_dir_fd, const std::string& container_path,
                 const OwnerTranslation& translate = {});
  // Gives the volume's folder to owner when it is empty and still root's (0:0), unless the volume
  // is a filesystem of its own (driver options).
  Status give_empty_root(const VolumeRecord& volume, VolumeOwner owner);
  // Bytes of the files in the volume (each inode once, not following symlinks or crossing mounts).
  Result<uint64_t> volume_size(const VolumeRecord& volume);

  const std::string& volumes_dir() const { return volumes_dir_; }

 private:
  VolumeService(sqlite::Db db, std::string volumes_dir, bool rootless)
      : db_(std::move(db)), volumes_dir_(std::move(volumes_dir)), rootless_(rootless) {}
  // <volumes>/<name>/_data, opened beneath the volumes folder without following symlinks.
  Result<unique_fd> open_data_dir(const std::string& name, int flags);
  std::string volume_dir(const std::string& name) const;

  sqlite::Db db_;
  std::string volumes_dir_;
  bool rootless_ = false;
};

// Docker's rule for local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
Status check_volume_name(const std::string& name);
// 64 random hex digits: the name `volume create` gives a volume the user did not name (which,
// unlike a container's anonymous volume, prune leaves alone unless --all).
std::string random_volume_name();

}  // namespace berth::engine
