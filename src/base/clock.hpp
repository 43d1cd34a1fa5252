#pragma once

#include <time.h>

#include <string>

namespace berth {

// RFC 3339 in UTC with nanoseconds, as the OCI state, Docker's inspect and its json-file logs
// write times: 2026-11-26T11:48:36.123456789Z.
std::string rfc3339(const struct timespec& ts);
std::string rfc3339_now();

}  // namespace berth
