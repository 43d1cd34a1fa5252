#pragma once

#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine {

// An exclusive flock on <data dir>/lock: start, stop's cleanup, the monitor's exit command and rm
// of one container take turns; it goes away with the process that holds it.
class ContainerLock {
 public:
  static Result<ContainerLock> acquire(const std::string& data_dir);

 private:
  unique_fd fd_;
};

}  // namespace berth::engine
