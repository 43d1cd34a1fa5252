#pragma once

#include <poll.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/unique_fd.hpp"
#include "monitor/attach_frame.hpp"

namespace berth::monitor {

// What a client asked the container to do: the supervisor carries it out.
struct ClientInput {
  std::string stdin_data;
  bool stdin_closed = false;
  bool resized = false;
  unsigned short rows = 0, cols = 0;
};

// The clients attached on the container's attach socket.
class AttachClients {
 public:
  // Listens on <run_dir>/attach.sock, for the owner only.
  Status listen(const std::string& run_dir);
  int listen_fd() const { return listener_.get(); }

  // The descriptors to poll after the listener: one per client, in order.
  void add_poll_fds(std::vector<pollfd>& fds) const;
  // Accepts a waiting client (non-blocking listener).
  void accept_one();
  // Reads from client i whose fd polled readable; a closed or broken client is dropped.
  ClientInput read_client(size_t i);
  size_t size() const { return clients_.size(); }
  bool any_said_hello() const;

  void send_output(FrameType stream, std::string_view data);
  // The exit frame to every client; true when one that takes care of the cleanup received it.
  bool send_exit(int exit_code);
  void send_error(const std::string& message);
  void close_all() { clients_.clear(); }

 private:
  struct Client {
    unique_fd fd;
    FrameReader reader;
    bool said_hello = false;
    AttachHello hello;
  };
  bool send(Client& c, FrameType type, std::string_view payload);
  void drop_closed();

  unique_fd listener_;
  std::vector<Client> clients_;
};

}  // namespace berth::monitor
