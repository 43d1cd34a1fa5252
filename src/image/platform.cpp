#include "image/platform.hpp"

#include <sys/utsname.h>

namespace berth::image {

std::string Platform::str() const {
  auto s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Result<Platform> parse_platform(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  Platform p;
  p.os = BERTH_TRY(r.required_string("os"));
  p.architecture = BERTH_TRY(r.required_string("architecture"));
  p.variant = BERTH_TRY(r.string("variant"));
  p.os_version = BERTH_TRY(r.string("os.version"));
  p.os_features = BERTH_TRY(r.strings("os.features"));
  return p;
}

Platform platform_for_machine(std::string_view machine) {
  struct Entry {
    std::string_view machine, architecture, variant;
  };
  static constexpr Entry kTable[] = {
      {"x86_64", "amd64", ""},
      {"amd64", "amd64", ""},
      {"aarch64", "arm64", "v8"},
      {"arm64", "arm64", "v8"},
      {"armv8l", "arm", "v8"},
      {"armv7l", "arm", "v7"},
      {"armv7", "arm", "v7"},
      {"armv6l", "arm", "v6"},
      {"armv5tel", "arm", "v5"},
      {"i386", "386", ""},
      {"i486", "386", ""},
      {"i586", "386", ""},
      {"i686", "386", ""},
      {"ppc64le", "ppc64le", ""},
      {"ppc64", "ppc64", ""},
      {"s390x", "s390x", ""},
      {"riscv64", "riscv64", ""},
      {"mips64", "mips64", ""},
      {"loongarch64", "loong64", ""},
  };
  Platform p;
  p.os = "linux";
  p.architecture = machine;
  for (const auto& e : kTable) {
    if (e.machine != machine) continue;
    p.architecture = e.architecture;
    p.variant = e.variant;
    break;
  }
  return p;
}

Platform host_platform() {
  struct utsname u {};
  if (uname(&u) != 0) return platform_for_machine("x86_64");
  return platform_for_machine(u.machine);
}

}  // namespace berth::image
