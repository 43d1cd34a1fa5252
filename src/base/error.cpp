#include "base/error.hpp"

#include <cstring>

namespace berth {

std::string Error::what() const {
  if (errno_value == 0) return message;
  return message + ": " + std::strerror(errno_value);
}

Error Error::wrap(const std::string& context) const {
  return Error{errno_value, context + ": " + message};
}

Error sys_error(const std::string& what) { return Error{errno, what}; }
Error sys_error(int errno_value, const std::string& what) { return Error{errno_value, what}; }
Error plain_error(std::string what) { return Error{0, std::move(what)}; }

std::string quote(const std::string& s) { return "\"" + s + "\""; }

}  // namespace berth
