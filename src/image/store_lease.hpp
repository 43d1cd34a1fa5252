#pragma once

#include <optional>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace berth::image {

// A flock on <data>/gc.lock: shared by everyone who writes to the store (a pull from its first
// blob until its image is recorded), exclusive for garbage collection, which waits for the
// shared holders to finish. flock is per open file: a process that holds a shared lease and
// asks for the exclusive one waits for itself.
class StoreLease {
 public:
  enum class Mode { shared, exclusive };
  // Waits for the lock.
  static Result<StoreLease> take(const std::string& data_root, Mode mode);
  // nullopt when another holder keeps it now.
  static Result<std::optional<StoreLease>> try_take(const std::string& data_root, Mode mode);

  StoreLease(StoreLease&&) noexcept = default;
  StoreLease& operator=(StoreLease&&) noexcept = default;

 private:
  explicit StoreLease(unique_fd fd) : fd_(std::move(fd)) {}
  unique_fd fd_;
};

}  // namespace berth::image
