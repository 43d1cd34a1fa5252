#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

// OCI mount option strings turned into what the kernel takes: mount(2) flags and data,
// propagation changes, and mount_setattr(2) attributes for the recursive "r*" options.
namespace berth::runtime {

struct MountOptions {
  unsigned long flags = 0;        // MS_* to set (MS_BIND and MS_REC for bind/rbind)
  unsigned long clear_flags = 0;  // MS_* the options turn off ("rw", "suid", "dev", ...)
  std::string data;               // filesystem options, comma-joined ("mode=755,size=65536k")
  std::vector<unsigned long> propagation;  // MS_SHARED/MS_SLAVE/... each maybe | MS_REC, in order
  uint64_t rec_attr_set = 0;               // MOUNT_ATTR_* for the whole tree ("rro", "rnosuid")
  uint64_t rec_attr_clr = 0;
  bool bind = false;
  bool recursive = false;  // rbind
  bool idmap = false;      // "idmap" or "ridmap"
  bool recursive_idmap = false;
  std::vector<IdMapping> idmap_uids;  // from "idmap=uids=0-1000-10;gids=..." (crun's syntax)
  std::vector<IdMapping> idmap_gids;
  bool tmpcopyup = false;
  bool copy_symlink = false;  // bind the symlink itself, not its target
  bool src_nofollow = false;

  // The non-recursive flags as mount_setattr attributes (for binds, which mount_setattr changes
  // without clearing what the options leave unsaid).
  uint64_t attr_set() const;
  uint64_t attr_clr() const;
};

// Parses the options of one mount. A bind mount takes no filesystem data, so an option that is
// neither a flag nor a runtime extension is an error there; for other types it goes to data.
Result<MountOptions> parse_mount_options(const std::vector<std::string>& options, bool bind);

// True when the mount is a bind mount: type "bind", or a "bind"/"rbind" option.
bool is_bind_mount(const Mount& m);

// "shared" -> MS_SHARED, "rslave" -> MS_SLAVE | MS_REC; an unknown name is an error.
Result<unsigned long> parse_propagation(const std::string& name);

}  // namespace berth::runtime
