#include "image/blob_transfer.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace berth::image {

bool retryable_status(long status) {
  return status >= 500 || status == 429 || status == 408;
}

void wait_before_retry(int attempt, const std::atomic<bool>* cancel) {
  const int tenths = std::min(attempt, 5) * 10;
  for (int i = 0; i < tenths; ++i) {
    if (cancel && cancel->load()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void ByteReporter::report(uint64_t done) {
  if (!options_.progress || options_.id.empty()) return;
  constexpr uint64_t kStep = 512 * 1024;
  if (any_ && done < last_ + kStep && done != total_) return;
  if (any_ && done == last_) return;
  any_ = true;
  last_ = done;
  options_.progress->bytes(options_.id, action_, done, total_);
}

}  // namespace berth::image
