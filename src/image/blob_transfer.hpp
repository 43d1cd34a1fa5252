#pragma once

#include <atomic>
#include <string>

#include "image/progress.hpp"

namespace berth::image {

// How one blob moves to or from a registry.
struct BlobTransferOptions {
  Progress* progress = nullptr;
  std::string id{};  // the progress id; "" for a blob without progress lines (a config)
  int retries = 5;
  const std::atomic<bool>* cancel = nullptr;  // set: stop at once
};

// Whether a failed attempt is worth another: the network, or the registry's 5xx and 429.
bool retryable_status(long status);
// Waits before attempt (1 s, 2 s, ... 5 s at most) unless cancel is set meanwhile.
void wait_before_retry(int attempt, const std::atomic<bool>* cancel);
// Reports bytes at most every 512 KiB (and at the end), so a terminal isn't flooded.
class ByteReporter {
 public:
  ByteReporter(const BlobTransferOptions& options, std::string action, uint64_t total)
      : options_(options), action_(std::move(action)), total_(total) {}
  void report(uint64_t done);

 private:
  const BlobTransferOptions& options_;
  std::string action_;
  uint64_t total_;
  uint64_t last_ = 0;
  bool any_ = false;
};

}  // namespace berth::image
