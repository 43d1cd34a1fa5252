#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace berth::runtime {

// The typed channel between the runtime and a process it starts (container init, exec'd
// process): a SOCK_SEQPACKET socketpair, one message per packet, fds passed with SCM_RIGHTS.
enum class Msg : uint32_t {
  go = 1,        // parent -> child: maps written, cgroups joined; go on
  run_hooks,     // child -> parent: mounts done; run prestart and createRuntime hooks
  hooks_done,    // parent -> child
  ready,         // child -> parent: set up, waiting for start (payload: nothing)
  error,         // child -> parent: payload is the one-line error
  pid,           // intermediate -> parent: payload is the pid of the next stage
  cgroups_done,  // parent -> child: in its cgroups, resources applied
};

struct Message {
  Msg type = Msg::error;
  std::string payload;
  int errno_value = 0;
  std::vector<unique_fd> fds;
};

class Channel {
 public:
  static Result<std::pair<Channel, Channel>> make_pair();
  Channel() = default;
  explicit Channel(unique_fd fd) : fd_(std::move(fd)) {}

  // To a peer that has exited, fails with the error the peer sent before it went, if it did.
  Status send(Msg type, const std::string& payload = {}, const std::vector<int>& fds = {},
              int errno_value = 0) const;
  Status send_error(const Error& e) const;
  // A bare message with write(2), for a process whose seccomp filter is already in place:
  // profiles that allow write but not sendmsg exist. A closed peer raises SIGPIPE.
  Status write_plain(Msg type) const;
  // EOF (the peer exited or exec'd with the socket close-on-exec) is reported as errno EPIPE.
  Result<Message> receive() const;
  // Receives and checks the type; an error message from the peer becomes this call's error.
  Result<Message> expect(Msg type) const;

  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  std::optional<Error> error_left_by_peer() const;

  unique_fd fd_;
};

// The pid an intermediate process sends (Msg::pid) before it exits: reaps the intermediate first,
// then reads its word without waiting, as a process it made may hold the channel open and a word
// that never came would be waited for forever. `what` names the intermediate in errors.
Result<pid_t> reap_intermediate(const Channel& channel, pid_t intermediate,
                                const std::string& what);

}  // namespace berth::runtime
