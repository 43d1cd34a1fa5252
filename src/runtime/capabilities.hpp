#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "runtime/spec.hpp"

// Capability sets of the container process, as bit masks indexed by capability number.
//
// Docker's default set (what `docker run` grants without --cap-add/--cap-drop): CHOWN,
// DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP,
// NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE; see docker_default_capabilities().
namespace berth::runtime {

struct CapSets {
  uint64_t bounding = 0, effective = 0, inheritable = 0, permitted = 0, ambient = 0;
};

// "CAP_SYS_ADMIN" -> 21; nullopt for a name this build does not know.
std::optional<int> capability_from_name(std::string_view name);
// 21 -> "CAP_SYS_ADMIN"; empty for a number this build does not know.
std::string_view capability_name(int cap);
// The highest capability number the running kernel knows (probed once, then cached).
int kernel_last_capability();

// Validates names; an unknown name is an error naming it and its set
// (`process.capabilities.bounding: unknown capability "CAP_FOO"`). Names that the running kernel
// does not know (beyond its last capability) are skipped, as runc does.
Result<CapSets> resolve_capabilities(const Capabilities& caps);
// One set on its own, for `exec --cap`: `field` names the origin in errors.
Result<uint64_t> resolve_capability_set(const std::vector<std::string>& names,
                                        std::string_view field);

// PR_CAPBSET_DROP of every capability the kernel knows that is not in sets.bounding.
// Needs CAP_SETPCAP, so it runs before the process changes its uid.
Status drop_bounding_set(const CapSets& sets);
// capset(2) of effective, permitted and inheritable, then the ambient set: cleared, then raised.
// Ambient capabilities missing from permitted or inheritable are skipped (the kernel refuses
// them; runc only warns).
Status apply_capabilities(const CapSets& sets);

// Every capability name this build knows, in number order ("CAP_CHOWN", ...).
std::vector<std::string> all_capability_names();
// Docker's default capability set, as OCI names ("CAP_CHOWN", ...).
std::vector<std::string> docker_default_capabilities();
// Names of the capabilities in a mask, in number order.
std::vector<std::string> capability_names(uint64_t mask);
// One of this process's sets as /proc/self/status shows it: `key` is "CapEff", "CapBnd", ...;
// nullopt when it cannot be read.
std::optional<uint64_t> own_capability_set(std::string_view key);

}  // namespace berth::runtime
