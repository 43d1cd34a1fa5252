#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

#include "base/error.hpp"

namespace berth::image {

// Runs job(worker, index) for every index in [0, count), in order, on at most `workers` threads;
// worker (in [0, workers)) picks the caller's per-thread resources (an HttpClient). The first
// failure sets cancel, no further job starts, and it is what returns once every thread has ended.
Status run_parallel(size_t count, size_t workers, std::atomic<bool>& cancel,
                    const std::function<Status(size_t worker, size_t index)>& job);

}  // namespace berth::image
