#pragma once

#include <signal.h>
#include <sys/types.h>

namespace berth::runtime {

// Blocks the signals a foreground runtime forwards to its container process, from construction
// (before clone, so none is lost) to destruction.
class BlockedSignals {
 public:
  BlockedSignals();
  ~BlockedSignals();
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;

  // Forwards every blocked signal to pid until it exits; returns its exit status, or 128+signal.
  int forward_until_exit(pid_t pid);
  const sigset_t& blocked() const { return set_; }

 private:
  sigset_t set_;
  sigset_t old_;
};

}  // namespace berth::runtime
