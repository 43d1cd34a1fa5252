#include "engine/spec_security_opts.hpp"

#include <optional>

namespace berth::engine {

namespace {

std::optional<bool> parse_bool(const std::string& v) {
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False")
    return false;
  return std::nullopt;
}

}  // namespace

Result<SecurityOptions> parse_security_opts(const std::vector<std::string>& options) {
  SecurityOptions out;
  for (const auto& opt : options) {
    if (opt == "no-new-privileges") {
      out.no_new_privileges = true;
      continue;
    }
    if (opt == "disable") continue;  // label:disable, in its shortest form
    auto sep = opt.find('=');
    if (sep == std::string::npos) sep = opt.find(':');
    if (sep == std::string::npos)
      return fail_msg("invalid --security-opt " + quote(opt) + ": want KEY=VALUE");
    std::string key = opt.substr(0, sep);
    std::string value = opt.substr(sep + 1);
    if (key == "seccomp") {
      if (value == "unconfined") {
        out.seccomp = SeccompMode::unconfined;
      } else if (value == "builtin" || value.empty()) {
        out.seccomp = SeccompMode::default_profile;
      } else {
        out.seccomp = SeccompMode::custom;
        out.seccomp_profile = value;
      }
    } else if (key == "no-new-privileges") {
      auto b = parse_bool(value);
      if (!b) return fail_msg("invalid --security-opt " + quote(opt) + ": not a boolean");
      out.no_new_privileges = *b;
    } else if (key == "apparmor" || key == "label") {
      // No AppArmor profile or SELinux label is applied by berth; Docker's values are accepted.
    } else {
      return fail_msg("invalid --security-opt " + quote(opt) + ": unknown option " + quote(key));
    }
  }
  return out;
}

}  // namespace berth::engine
