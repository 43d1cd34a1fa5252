#pragma once

#include <string>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

// Unix stream sockets to a path, and passing one fd across one with SCM_RIGHTS.
namespace berth::unix_socket {

// `what` names the socket in errors: "console socket", "seccomp listener".
Result<unique_fd> connect(const std::string& path, const std::string& what);
// Sends fd with payload as the message's data (which must not be empty).
Status send_fd(int sock, int fd, const std::string& payload, const std::string& what);
// Receives one fd (close-on-exec); the message's data goes to payload when given.
Result<unique_fd> receive_fd(int sock, const std::string& what, std::string* payload = nullptr);

}  // namespace berth::unix_socket
