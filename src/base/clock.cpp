#include "base/clock.hpp"

#include <cstdio>

namespace berth {

std::string rfc3339(const struct timespec& ts) {
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  return buf;
}

std::string rfc3339_now() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return rfc3339(ts);
}

}  // namespace berth
