#pragma once

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace berth::monitor {

// The monitor's ends of a container's stdio. Without a terminal: pipes; the container's ends go
// on the monitor's fds 0-2 for the runtime to hand to init, and come off again once it is made.
struct ContainerStdio {
  unique_fd stdin_w;  // -i only
  unique_fd stdout_r, stderr_r;
  unique_fd pty_master;  // -t: output and input both
};

class StdioForCreate {
 public:
  // open_stdin: the container's stdin is a pipe; else /dev/null.
  static Result<StdioForCreate> make(bool open_stdin, bool tty);
  // Once the runtime has made init: back to /dev/null on 0-2, returning our ends.
  Result<ContainerStdio> finish();

 private:
  ContainerStdio ends_;
};

}  // namespace berth::monitor
