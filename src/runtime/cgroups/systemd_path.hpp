#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "runtime/cgroups/cgroup.hpp"

// --systemd-cgroup without D-Bus: the systemd form of linux.cgroupsPath ("slice:prefix:name")
// becomes the cgroupfs path that runc's systemd driver ends up creating on disk, and the
// directories are made directly by the cgroupfs backends.
namespace berth::runtime::cgroups {

// A slice name as a path, as systemd nests slices: "a-b-c.slice" ->
// "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "/". Fails, naming it, on a name that does not
// end in ".slice", holds a "/" or a character systemd refuses, or has an empty component
// ("-a.slice", "a-.slice", "a--b.slice").
Result<std::string> expand_slice(const std::string& slice);

// Whether a cgroupsPath looks like "slice:prefix:name" rather than a path.
bool is_systemd_form(const std::string& cgroups_path);

struct SystemdPath {
  std::string slice;  // the parent slice expanded, absolute: "/system.slice", or "/" for -.slice
  std::string unit;   // "prefix-name.scope", "name.scope" without prefix, or a slice "name.slice"
  // slice + "/" + unit: absolute from each hierarchy's root.
  std::string path() const;
};

// linux.cgroupsPath for --systemd-cgroup, as runc reads it: exactly "slice:prefix:name"
// (a plain path is refused), or empty for "<default slice>:berth:<container id>". An empty slice
// is system.slice, or user.slice when rootless.
Result<SystemdPath> systemd_path(const std::string& cgroups_path, const std::string& container_id,
                                 bool rootless);

// The key under which paths() lists the slice directories that create() made.
inline constexpr const char* kSystemdSlicesKey = "systemd_slices";

// Wraps the cgroup of a systemd-form path whose parent slice is `slice` (expanded): create()
// notes which of the slice's directories it had to make, paths() records them under
// kSystemdSlicesKey, and destroy() removes those that are empty by then, innermost first. Slice
// directories that existed before are never removed.
std::unique_ptr<Cgroup> with_slice_cleanup(std::unique_ptr<Cgroup> inner, const std::string& slice);
// The same for a cgroup reopened by load(), with the directories that paths() recorded.
std::unique_ptr<Cgroup> reopen_with_slice_cleanup(std::unique_ptr<Cgroup> inner,
                                                  std::vector<std::string> created);

}  // namespace berth::runtime::cgroups
