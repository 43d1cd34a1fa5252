#include "engine/seccomp_profile.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <charconv>

#include "base/json_reader.hpp"
#include "base/json_text.hpp"

namespace berth::engine {

namespace {

using nlohmann::json;

constexpr const char* kNativeArch =
#if defined(__x86_64__) && defined(__ILP32__)
    "x32";
#elif defined(__x86_64__)
    "amd64";
#elif defined(__i386__)
    "x86";
#elif defined(__aarch64__)
    "arm64";
#elif defined(__arm__)
    "arm";
#elif defined(__s390x__)
    "s390x";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    "ppc64le";
#elif defined(__riscv) && __riscv_xlen == 64
    "riscv64";
#elif defined(__loongarch64)
    "loongarch64";
#else
    "";
#endif

// The SCMP_ARCH_ name that an arch_map entry uses for a native architecture.
std::string scmp_arch(const std::string& native) {
  static const std::pair<const char*, const char*> table[] = {
      {"amd64", "SCMP_ARCH_X86_64"},    {"x86", "SCMP_ARCH_X86"},
      {"x32", "SCMP_ARCH_X32"},         {"arm64", "SCMP_ARCH_AARCH64"},
      {"arm", "SCMP_ARCH_ARM"},         {"s390x", "SCMP_ARCH_S390X"},
      {"s390", "SCMP_ARCH_S390"},       {"ppc64le", "SCMP_ARCH_PPC64LE"},
      {"riscv64", "SCMP_ARCH_RISCV64"}, {"loongarch64", "SCMP_ARCH_LOONGARCH64"},
  };
  for (const auto& [n, s] : table)
    if (native == n) return s;
  return {};
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool kernel_at_least(const SeccompTarget& t, std::pair<unsigned, unsigned> min) {
  return t.kernel_major != min.first ? t.kernel_major > min.first : t.kernel_minor >= min.second;
}

bool applies(const SeccompRule& rule, const SeccompTarget& t) {
  const auto& ex = rule.excludes;
  if (contains(ex.arches, t.arch)) return false;
  for (const auto& cap : ex.caps)
    if (contains(t.capabilities, cap)) return false;
  if (ex.min_kernel && kernel_at_least(t, *ex.min_kernel)) return false;
  const auto& in = rule.includes;
  if (!in.arches.empty() && !contains(in.arches, t.arch)) return false;
  for (const auto& cap : in.caps)
    if (!contains(t.capabilities, cap)) return false;
  if (in.min_kernel && !kernel_at_least(t, *in.min_kernel)) return false;
  return true;
}

Result<std::optional<std::pair<unsigned, unsigned>>> kernel_version(const JsonReader& r) {
  auto text = BERTH_TRY(r.string("minKernel"));
  if (text.empty()) return std::optional<std::pair<unsigned, unsigned>>{};
  auto dot = text.find('.');
  unsigned major = 0, minor = 0;
  bool ok = dot != std::string::npos;
  if (ok) {
    auto a = std::from_chars(text.data(), text.data() + dot, major);
    auto b = std::from_chars(text.data() + dot + 1, text.data() + text.size(), minor);
    ok = a.ec == std::errc() && a.ptr == text.data() + dot && b.ec == std::errc() &&
         b.ptr == text.data() + text.size() && (major != 0 || minor != 0);
  }
  if (!ok)
    return fail(r.error("minKernel",
                        "invalid kernel version " + quote(text) + ", want \"<major>.<minor>\""));
  return std::optional(std::pair{major, minor});
}

Result<SeccompCondition> condition(const JsonReader& rule, const std::string& key) {
  SeccompCondition c;
  auto r = rule.optional_object(key);
  if (!r) return c;
  BERTH_CHECK(r->expect_object());
  c.caps = BERTH_TRY(r->strings("caps"));
  c.arches = BERTH_TRY(r->strings("arches"));
  c.min_kernel = BERTH_TRY(kernel_version(*r));
  return c;
}

Result<std::optional<unsigned>> errno_field(const JsonReader& r, const std::string& key) {
  auto v = BERTH_TRY(r.optional_uint(key));
  if (!v) return std::optional<unsigned>{};
  if (*v > 0xffff) return fail(r.error(key, "out of range"));
  return std::optional<unsigned>(static_cast<unsigned>(*v));
}

Result<SeccompRule> parse_rule(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  SeccompRule rule;
  rule.names = BERTH_TRY(r.strings("names"));
  auto name = BERTH_TRY(r.string("name"));
  if (!name.empty()) {
    if (!rule.names.empty()) return fail(r.error("name", "both \"name\" and \"names\" are set"));
    rule.names.push_back(name);
  }
  rule.action = BERTH_TRY(r.required_string("action"));
  rule.errno_ret = BERTH_TRY(errno_field(r, "errnoRet"));
  for (const auto& a : BERTH_TRY(r.array("args"))) {
    BERTH_CHECK(a.expect_object());
    SeccompArgRule arg;
    auto index = BERTH_TRY(a.optional_uint("index")).value_or(0);
    if (index > 5) return fail(a.error("index", "must be 0 to 5"));
    arg.index = static_cast<unsigned>(index);
    arg.value = BERTH_TRY(a.optional_uint("value")).value_or(0);
    arg.value_two = BERTH_TRY(a.optional_uint("valueTwo")).value_or(0);
    arg.op = BERTH_TRY(a.required_string("op"));
    rule.args.push_back(std::move(arg));
  }
  rule.includes = BERTH_TRY(condition(r, "includes"));
  rule.excludes = BERTH_TRY(condition(r, "excludes"));
  return rule;
}

json rule_json(const SeccompRule& rule) {
  json j = {{"names", rule.names}, {"action", rule.action}};
  if (rule.errno_ret) j["errnoRet"] = *rule.errno_ret;
  if (!rule.args.empty()) {
    json args = json::array();
    for (const auto& a : rule.args) {
      json arg = {{"index", a.index}, {"value", a.value}, {"op", a.op}};
      if (a.value_two != 0) arg["valueTwo"] = a.value_two;
      args.push_back(std::move(arg));
    }
    j["args"] = std::move(args);
  }
  return j;
}

}  // namespace

SeccompTarget current_seccomp_target(std::vector<std::string> capabilities) {
  SeccompTarget t;
  t.arch = kNativeArch;
  t.capabilities = std::move(capabilities);
  struct utsname u;
  if (::uname(&u) == 0) {
    std::string_view release = u.release;
    auto dot = release.find('.');
    std::from_chars(release.data(), release.data() + release.size(), t.kernel_major);
    if (dot != std::string_view::npos)
      std::from_chars(release.data() + dot + 1, release.data() + release.size(), t.kernel_minor);
  }
  return t;
}

Result<SeccompProfile> parse_seccomp_profile(std::string_view text) {
  auto j = BERTH_TRY(parse_json_text(text, "seccomp profile"));
  JsonReader r(j, "");
  if (!j.is_object()) return fail_msg("seccomp profile: must be a JSON object");
  auto with_context = [](Error e) { return e.wrap("seccomp profile"); };
  auto parse = [&]() -> Result<SeccompProfile> {
    SeccompProfile p;
    p.default_action = BERTH_TRY(r.string("defaultAction"));
    p.default_errno_ret = BERTH_TRY(errno_field(r, "defaultErrnoRet"));
    p.architectures = BERTH_TRY(r.strings("architectures"));
    for (const auto& a : BERTH_TRY(r.array("archMap"))) {
      BERTH_CHECK(a.expect_object());
      SeccompArchMap m;
      m.arch = BERTH_TRY(a.required_string("architecture"));
      m.sub_arches = BERTH_TRY(a.strings("subArchitectures"));
      p.arch_map.push_back(std::move(m));
    }
    if (!p.architectures.empty() && !p.arch_map.empty())
      return fail_msg("both \"architectures\" and \"archMap\" are set; use one");
    p.flags = BERTH_TRY(r.strings("flags"));
    p.listener_path = BERTH_TRY(r.string("listenerPath"));
    p.listener_metadata = BERTH_TRY(r.string("listenerMetadata"));
    for (const auto& s : BERTH_TRY(r.array("syscalls")))
      p.syscalls.push_back(BERTH_TRY(parse_rule(s)));
    return p;
  };
  auto p = parse();
  if (!p) return fail(with_context(p.error()));
  return p;
}

Result<std::optional<json>> resolve_seccomp_profile(const SeccompProfile& profile,
                                                    const SeccompTarget& target) {
  if (profile.default_action.empty() && profile.syscalls.empty()) return std::optional<json>{};
  json out = {{"defaultAction", profile.default_action}};
  if (profile.default_errno_ret) out["defaultErrnoRet"] = *profile.default_errno_ret;
  std::vector<std::string> arches = profile.architectures;
  auto native = scmp_arch(target.arch);
  for (const auto& m : profile.arch_map) {
    if (m.arch != native) continue;
    arches.push_back(m.arch);
    arches.insert(arches.end(), m.sub_arches.begin(), m.sub_arches.end());
    break;
  }
  if (!arches.empty()) out["architectures"] = arches;
  if (!profile.flags.empty()) out["flags"] = profile.flags;
  if (!profile.listener_path.empty()) out["listenerPath"] = profile.listener_path;
  if (!profile.listener_metadata.empty()) out["listenerMetadata"] = profile.listener_metadata;
  json syscalls = json::array();
  for (const auto& rule : profile.syscalls)
    if (applies(rule, target)) syscalls.push_back(rule_json(rule));
  out["syscalls"] = std::move(syscalls);
  return std::optional(std::move(out));
}

}  // namespace berth::engine
