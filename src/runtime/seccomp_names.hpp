#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

// The OCI names of libseccomp actions, operators, architectures and filter flags.
namespace berth::runtime::seccomp_names {

struct Action {
  std::string_view name;
  uint32_t value;    // SCMP_ACT_*, without the errno data
  bool takes_errno;  // ERRNO and TRACE carry errnoRet in their data bits
};

struct Named {
  std::string_view name;
  uint32_t value;
};

std::span<const Action> actions();
std::span<const Named> operators();      // value: enum scmp_compare
std::span<const Named> architectures();  // value: SCMP_ARCH_*
std::span<const Named> flags();          // value: SECCOMP_FILTER_FLAG_*

const Action* find_action(std::string_view name);
std::optional<uint32_t> find(std::span<const Named> table, std::string_view name);

}  // namespace berth::runtime::seccomp_names
