#include "runtime/personality.hpp"

#include <sys/personality.h>

#include <array>
#include <string>
#include <string_view>

namespace berth::runtime {

namespace {

struct PersonaName {
  std::string_view name;
  unsigned long value;
};

constexpr std::array<PersonaName, 2> domains = {{
    {"LINUX", PER_LINUX},
    {"LINUX32", PER_LINUX32},
}};

constexpr std::array<PersonaName, 11> flags = {{
    {"UNAME26", UNAME26},
    {"ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE},
    {"FDPIC_FUNCPTRS", FDPIC_FUNCPTRS},
    {"MMAP_PAGE_ZERO", MMAP_PAGE_ZERO},
    {"ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT},
    {"READ_IMPLIES_EXEC", READ_IMPLIES_EXEC},
    {"ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT},
    {"SHORT_INODE", SHORT_INODE},
    {"WHOLE_SECONDS", WHOLE_SECONDS},
    {"STICKY_TIMEOUTS", STICKY_TIMEOUTS},
    {"ADDR_LIMIT_3GB", ADDR_LIMIT_3GB},
}};

template <size_t N>
const PersonaName* find(const std::array<PersonaName, N>& table, std::string_view name) {
  for (const auto& entry : table) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

}  // namespace

Result<unsigned long> resolve_personality(const Personality& p) {
  const PersonaName* domain = find(domains, p.domain);
  if (!domain) return fail_msg("linux.personality.domain: unknown domain " + quote(p.domain));
  unsigned long persona = domain->value;
  for (size_t i = 0; i < p.flags.size(); ++i) {
    const PersonaName* flag = find(flags, p.flags[i]);
    if (!flag) {
      return fail_msg("linux.personality.flags[" + std::to_string(i) + "]: unknown flag " +
                      quote(p.flags[i]));
    }
    persona |= flag->value;
  }
  return persona;
}

Status apply_personality(unsigned long persona) {
  if (::personality(persona) < 0) {
    return fail_sys("personality " + std::to_string(persona));
  }
  return {};
}

}  // namespace berth::runtime
