#pragma once

#include <functional>
#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "monitor/attach_frame.hpp"

namespace berth::engine {

// The caller's side of a container's attach socket: its stdin goes in, its output comes out, and
// the exit code ends it.
class AttachSession {
 public:
  static Result<AttachSession> connect(const std::string& run_dir,
                                       const monitor::AttachHello& hello);

  struct Io {
    int in = -1;  // -1: nothing to send
    int out = 1;
    int err = 2;
    int signal_fd = -1;  // a signalfd; each signal goes to on_signal
    std::function<void(int)> on_signal;
  };
  // Until the exit frame: the container's exit code. An error frame (it could not start) is
  // returned as an error; a monitor that went away without an exit frame too.
  Result<int> pump(const Io& io);
  Status resize(unsigned short rows, unsigned short cols);

 private:
  unique_fd fd_;
};

}  // namespace berth::engine
