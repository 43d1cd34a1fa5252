#include "runtime/rlimits.hpp"

#include <array>
#include <string>
#include <utility>

namespace berth::runtime {

namespace {

struct RlimitName {
  std::string_view name;
  int resource;
};

constexpr std::array<RlimitName, 16> rlimit_names = {{
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
}};

std::string field(size_t i) {
  return "process.rlimits[" + std::to_string(i) + "]";
}

}  // namespace

std::optional<int> rlimit_from_name(std::string_view name) {
  for (const auto& entry : rlimit_names) {
    if (entry.name == name) return entry.resource;
  }
  return std::nullopt;
}

std::string_view rlimit_name(int resource) {
  for (const auto& entry : rlimit_names) {
    if (entry.resource == resource) return entry.name;
  }
  return {};
}

Result<std::vector<ResolvedRlimit>> resolve_rlimits(const std::vector<Rlimit>& rlimits) {
  std::vector<ResolvedRlimit> resolved;
  resolved.reserve(rlimits.size());
  uint32_t seen = 0;
  for (size_t i = 0; i < rlimits.size(); ++i) {
    const Rlimit& r = rlimits[i];
    auto resource = rlimit_from_name(r.type);
    if (!resource) return fail_msg(field(i) + ".type: unknown resource limit " + quote(r.type));
    if (seen & (1u << *resource)) {
      return fail_msg(field(i) + ".type: duplicate resource limit " + quote(r.type));
    }
    seen |= 1u << *resource;
    if (r.soft > r.hard) {
      return fail_msg(field(i) + ": " + r.type + " soft limit " + std::to_string(r.soft) +
                      " is greater than its hard limit " + std::to_string(r.hard));
    }
    resolved.push_back({*resource, static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)});
  }
  return resolved;
}

Status apply_rlimits(const std::vector<ResolvedRlimit>& rlimits) {
  for (const auto& r : rlimits) {
    const rlimit limit{r.soft, r.hard};
    if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &limit) < 0) {
      return fail_sys("setrlimit " + std::string(rlimit_name(r.resource)) + " (soft " +
                      std::to_string(r.soft) + ", hard " + std::to_string(r.hard) + ")");
    }
  }
  return {};
}

}  // namespace berth::runtime
