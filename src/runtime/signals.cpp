#include "runtime/signals.hpp"

#include <signal.h>
#include <string.h>

#include <charconv>

#include "base/strings.hpp"

namespace berth::runtime {

Result<int> parse_signal(const std::string& text) {
  int number = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && p == text.data() + text.size()) {
    if (number <= 0 || number > SIGRTMAX) return fail_msg("invalid signal " + quote(text));
    return number;
  }
  std::string name = to_upper(text);
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev) return sig;
  }
  if (name.rfind("RTMIN+", 0) == 0) return SIGRTMIN + std::atoi(name.c_str() + 6);
  if (name.rfind("RTMAX-", 0) == 0) return SIGRTMAX - std::atoi(name.c_str() + 6);
  return fail_msg("invalid signal " + quote(text));
}

}  // namespace berth::runtime
