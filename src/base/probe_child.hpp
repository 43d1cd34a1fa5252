#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>

#include "base/error.hpp"

// Probes that must run in a process of their own (unshare, mount in a new namespace), so that the
// caller's namespaces, mounts and credentials stay as they were.
namespace berth::probe {

// Whom the child becomes before its body runs, when the caller is root and asks for an ordinary
// user's answer.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
};

// What a body reports: the step that failed (a string literal) and its errno, or no step.
struct Failure {
  const char* step = nullptr;
  int errno_value = 0;
};

// A failure of the step `step` with the current errno.
Failure failed(const char* step);

// Forks a child that drops to `as` (when given), runs body and exits; returns the body's failure
// as an error "step: strerror". body runs in a forked child: raw system calls only, no
// allocation (the strings it needs are made before the call).
Status in_child(std::optional<Identity> as, const std::function<Failure()>& body);

}  // namespace berth::probe
