#include "base/error.hpp"

#include <cstring>

namespace berth {

std::string Error::what() const {
  if (errno_value == 0) return message;
  // Lower case, as Go and runc write errno texts: the docker CLI maps "no such file or
  // directory" and "permission denied" in a runtime's error to exit codes 127 and 126.
  std::string reason = std::strerror(errno_value);
  if (!reason.empty() && reason[0] >= 'A' && reason[0] <= 'Z' &&
      (reason.size() < 2 || !(reason[1] >= 'A' && reason[1] <= 'Z')))
    reason[0] = static_cast<char>(reason[0] - 'A' + 'a');
  return message + ": " + reason;
}

Error Error::wrap(const std::string& context) const {
  return Error{errno_value, context + ": " + message};
}

Error sys_error(const std::string& what) {
  return Error{errno, what};
}
Error sys_error(int errno_value, const std::string& what) {
  return Error{errno_value, what};
}
Error plain_error(std::string what) {
  return Error{0, std::move(what)};
}

std::string quote(const std::string& s) {
  return "\"" + s + "\"";
}

}  // namespace berth
