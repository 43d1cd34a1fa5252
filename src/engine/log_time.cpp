#include "engine/log_time.hpp"

#include <cmath>
#include <cstdint>
#include <string>

namespace berth::engine {

namespace {

constexpr long kNanos = 1000000000L;

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ == s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  // Exactly n digits.
  std::optional<int> digits(size_t n) {
    int v = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = peek();
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
      ++i_;
    }
    return v;
  }
  // A fraction's digits as nanoseconds (at least one digit; more than nine are cut).
  std::optional<long> fraction() {
    long ns = 0;
    size_t n = 0;
    for (; peek() >= '0' && peek() <= '9'; ++i_, ++n)
      if (n < 9) ns = ns * 10 + (peek() - '0');
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n) ns *= 10;
    return ns;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// YYYY-MM-DD[Thh[:mm[:ss[.frac]]]][Z|±hh:mm]; local time without a zone unless utc_default.
std::optional<struct timespec> parse_date_time(std::string_view text, bool utc_default) {
  Cursor c(text);
  struct tm tm = {};
  auto year = c.digits(4);
  if (!year || !c.eat('-')) return std::nullopt;
  auto mon = c.digits(2);
  if (!mon || !c.eat('-')) return std::nullopt;
  auto day = c.digits(2);
  if (!day || *mon < 1 || *mon > 12 || *day < 1 || *day > 31) return std::nullopt;
  tm.tm_year = *year - 1900;
  tm.tm_mon = *mon - 1;
  tm.tm_mday = *day;
  long nsec = 0;
  if (c.eat('T') || c.eat('t')) {
    auto hour = c.digits(2);
    if (!hour || *hour > 23) return std::nullopt;
    tm.tm_hour = *hour;
    if (c.eat(':')) {
      auto min = c.digits(2);
      if (!min || *min > 59) return std::nullopt;
      tm.tm_min = *min;
      if (c.eat(':')) {
        auto sec = c.digits(2);
        if (!sec || *sec > 60) return std::nullopt;
        tm.tm_sec = *sec;
        if (c.eat('.')) {
          auto frac = c.fraction();
          if (!frac) return std::nullopt;
          nsec = *frac;
        }
      }
    }
  }
  std::optional<long> offset;  // seconds east of UTC
  if (c.eat('Z') || c.eat('z')) {
    offset = 0;
  } else if (c.peek() == '+' || c.peek() == '-') {
    int sign = c.peek() == '-' ? -1 : 1;
    c.eat(c.peek());
    auto oh = c.digits(2);
    if (!oh || !c.eat(':')) return std::nullopt;
    auto om = c.digits(2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = sign * (*oh * 3600L + *om * 60L);
  }
  if (!c.done()) return std::nullopt;
  time_t secs;
  if (offset || utc_default) {
    secs = ::timegm(&tm) - offset.value_or(0);
  } else {
    tm.tm_isdst = -1;
    secs = ::mktime(&tm);
  }
  return timespec{secs, nsec};
}

// seconds[.fraction]
std::optional<struct timespec> parse_unix_time(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view secs = text.substr(0, dot);
  if (secs.empty() || secs.size() > 18) return std::nullopt;
  long long s = 0;
  for (char ch : secs) {
    if (ch < '0' || ch > '9') return std::nullopt;
    s = s * 10 + (ch - '0');
  }
  long ns = 0;
  if (dot != std::string_view::npos) {
    Cursor c(text.substr(dot + 1));
    auto frac = c.fraction();
    if (!frac || !c.done()) return std::nullopt;
    ns = *frac;
  }
  return timespec{static_cast<time_t>(s), ns};
}

// Go's time.ParseDuration, in nanoseconds: [+-](number unit)+ with units ns us µs ms s m h.
std::optional<long double> parse_duration(std::string_view text) {
  long double sign = 1;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    sign = text[0] == '-' ? -1 : 1;
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  long double total = 0;
  while (!text.empty()) {
    size_t i = 0;
    long double value = 0;
    bool any = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, any = true)
      value = value * 10 + (text[i] - '0');
    if (i < text.size() && text[i] == '.') {
      long double scale = 0.1L;
      for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, any = true) {
        value += (text[i] - '0') * scale;
        scale /= 10;
      }
    }
    if (!any) return std::nullopt;
    text.remove_prefix(i);
    static constexpr std::pair<std::string_view, long double> kUnits[] = {
        {"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
        {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
    bool matched = false;
    for (const auto& [unit, nanos] : kUnits) {
      if (text.starts_with(unit)) {
        // "m" must not take the "m" of "ms".
        if (unit == "m" && text.starts_with("ms")) continue;
        total += value * nanos;
        text.remove_prefix(unit.size());
        matched = true;
        break;
      }
    }
    if (!matched) return std::nullopt;
  }
  return sign * total;
}

}  // namespace

int compare_timespec(const struct timespec& a, const struct timespec& b) {
  if (a.tv_sec != b.tv_sec) return a.tv_sec < b.tv_sec ? -1 : 1;
  if (a.tv_nsec != b.tv_nsec) return a.tv_nsec < b.tv_nsec ? -1 : 1;
  return 0;
}

std::optional<struct timespec> parse_rfc3339(std::string_view text) {
  return parse_date_time(text, true);
}

Result<struct timespec> parse_log_time(std::string_view flag, std::string_view value,
                                       const struct timespec& now) {
  if (value != "0") {
    auto d = parse_duration(value);
    if (d && std::fabs(*d) < 4e18L) {
      int64_t ns = static_cast<int64_t>(now.tv_sec) * kNanos + now.tv_nsec - std::llround(*d);
      int64_t secs = ns / kNanos - (ns % kNanos < 0 ? 1 : 0);
      return timespec{static_cast<time_t>(secs), static_cast<long>(ns - secs * kNanos)};
    }
  }
  if (auto t = parse_date_time(value, false)) return *t;
  if (auto t = parse_unix_time(value)) return *t;
  return fail_msg("invalid value for " + quote(std::string(flag)) + ": " +
                  quote(std::string(value)));
}

Result<struct timespec> parse_log_time(std::string_view flag, std::string_view value) {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  return parse_log_time(flag, value, now);
}

}  // namespace berth::engine
