#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace berth {

// What failed, on what, and why: `open "/proc/self/fd/3": Permission denied`.
struct Error {
  int errno_value = 0;  // 0 when the failure is not a system call's
  std::string message;

  std::string what() const;
  // Prefixes context: Error{"open x"}.wrap("load config") -> "load config: open x: ...".
  Error wrap(const std::string& context) const;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

// A failure of a system call: captures errno at once.
Error sys_error(const std::string& what);
// A failure of a system call with an explicit errno value.
Error sys_error(int errno_value, const std::string& what);
// A failure that is not a system call's (bad input, protocol).
Error plain_error(std::string what);

inline std::unexpected<Error> fail(Error e) {
  return std::unexpected(std::move(e));
}
inline std::unexpected<Error> fail_sys(const std::string& what) {
  return std::unexpected(sys_error(what));
}
inline std::unexpected<Error> fail_msg(std::string what) {
  return std::unexpected(plain_error(std::move(what)));
}

std::string quote(const std::string& s);

}  // namespace berth

// Unwraps a Result or returns its error from the enclosing function (GNU statement expression).
#define BERTH_TRY(expr)                                                                   \
  ({                                                                                      \
    auto&& berth_try_result_ = (expr);                                                    \
    if (!berth_try_result_) return std::unexpected(std::move(berth_try_result_).error()); \
    std::move(berth_try_result_).value();                                                 \
  })

// Like BERTH_TRY for Status (no value).
#define BERTH_CHECK(expr)                                                                     \
  do {                                                                                        \
    auto&& berth_check_result_ = (expr);                                                      \
    if (!berth_check_result_) return std::unexpected(std::move(berth_check_result_).error()); \
  } while (0)
