#include "image/parallel.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace berth::image {

Status run_parallel(size_t count, size_t workers, std::atomic<bool>& cancel,
                    const std::function<Status(size_t worker, size_t index)>& job) {
  std::atomic<size_t> next{0};
  std::mutex mutex;
  std::optional<Error> first_error;
  auto work = [&](size_t worker) {
    for (;;) {
      if (cancel.load()) return;
      size_t i = next.fetch_add(1);
      if (i >= count) return;
      if (auto s = job(worker, i); !s) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = s.error();
        cancel.store(true);
        return;
      }
    }
  };
  workers = std::max<size_t>(1, std::min(workers, count));
  if (workers == 1) {
    work(0);
  } else {
    std::vector<std::thread> threads;
    for (size_t w = 0; w < workers; ++w) threads.emplace_back(work, w);
    for (auto& t : threads) t.join();
  }
  if (first_error) return fail(*first_error);
  if (cancel.load()) return fail_msg("cancelled");
  return {};
}

}  // namespace berth::image
