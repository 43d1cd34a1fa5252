#include "runtime/cgroups/device_rules.hpp"

namespace berth::runtime::cgroups {

namespace {

bool same_device(const DeviceException& e, char type, std::optional<int64_t> major,
                 std::optional<int64_t> minor) {
  return e.type == type && e.major == major && e.minor == minor;
}

DeviceRule allow_rule(char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                      std::string access = "rwm") {
  DeviceRule r;
  r.allow = true;
  r.type = std::string(1, type);
  r.major = major;
  r.minor = minor;
  r.access = std::move(access);
  return r;
}

}  // namespace

Result<unsigned> parse_access(const std::string& access) {
  if (access.empty()) return kAccessAll;
  unsigned bits = 0;
  for (char c : access) {
    switch (c) {
      case 'r':
        bits |= kAccessRead;
        break;
      case 'w':
        bits |= kAccessWrite;
        break;
      case 'm':
        bits |= kAccessMknod;
        break;
      default:
        return fail_msg("linux.resources.devices: bad access " + quote(access));
    }
  }
  return bits;
}

Status check_device_rule(const DeviceRule& rule) {
  if (rule.type != "a" && rule.type != "c" && rule.type != "b")
    return fail_msg("linux.resources.devices: bad type " + quote(rule.type));
  if ((rule.major && (*rule.major < 0 || *rule.major > 0xfff)) ||
      (rule.minor && (*rule.minor < 0 || *rule.minor > 0xfffff)))
    return fail_msg("linux.resources.devices: bad device number in " + quote(v1_device_line(rule)));
  BERTH_TRY(parse_access(rule.access));
  return {};
}

std::string v1_device_line(const DeviceRule& rule) {
  std::string line = rule.type.empty() ? "a" : rule.type;
  line += ' ';
  line += rule.major ? std::to_string(*rule.major) : "*";
  line += ':';
  line += rule.minor ? std::to_string(*rule.minor) : "*";
  line += ' ';
  line += rule.access.empty() ? "rwm" : rule.access;
  return line;
}

Result<DevicePolicy> emulate_v1(const std::vector<DeviceRule>& rules) {
  DevicePolicy policy;
  for (const auto& rule : rules) {
    if (auto ok = check_device_rule(rule); !ok) return fail(ok.error());
    if (rule.type == "a") {
      policy.default_allow = rule.allow;
      policy.exceptions.clear();
      continue;
    }
    unsigned access = *parse_access(rule.access);
    char type = rule.type[0];
    auto& list = policy.exceptions;
    if (rule.allow == policy.default_allow) {
      // Same as the default: the kernel takes these bits off an identical exception, if any.
      for (auto it = list.begin(); it != list.end();) {
        if (same_device(*it, type, rule.major, rule.minor)) {
          it->access &= ~access;
          if (it->access == 0) {
            it = list.erase(it);
            continue;
          }
        }
        ++it;
      }
      continue;
    }
    bool merged = false;
    for (auto& e : list) {
      if (same_device(e, type, rule.major, rule.minor)) {
        e.access |= access;
        merged = true;
        break;
      }
    }
    if (!merged) list.push_back(DeviceException{type, rule.major, rule.minor, access});
  }
  return policy;
}

std::vector<DeviceRule> container_device_rules(const std::vector<DeviceRule>& spec_rules,
                                               const std::vector<Device>& linux_devices) {
  std::vector<DeviceRule> rules = spec_rules;
  rules.push_back(allow_rule('c', std::nullopt, std::nullopt, "m"));
  rules.push_back(allow_rule('b', std::nullopt, std::nullopt, "m"));
  rules.push_back(allow_rule('c', 1, 3));               // null
  rules.push_back(allow_rule('c', 1, 5));               // zero
  rules.push_back(allow_rule('c', 1, 7));               // full
  rules.push_back(allow_rule('c', 1, 8));               // random
  rules.push_back(allow_rule('c', 1, 9));               // urandom
  rules.push_back(allow_rule('c', 5, 0));               // tty
  rules.push_back(allow_rule('c', 5, 1));               // console
  rules.push_back(allow_rule('c', 5, 2));               // ptmx
  rules.push_back(allow_rule('c', 136, std::nullopt));  // pts
  for (const auto& dev : linux_devices) {
    if (dev.type == 'p') continue;
    char type = dev.type == 'b' ? 'b' : 'c';
    rules.push_back(allow_rule(type, dev.major, dev.minor));
  }
  return rules;
}

}  // namespace berth::runtime::cgroups
