#pragma once

#include "base/error.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

// linux.personality: domain LINUX or LINUX32, plus personality(2) flag names such as
// "ADDR_NO_RANDOMIZE". Anything else is an error naming the field.
Result<unsigned long> resolve_personality(const Personality& p);
// personality(2); the last step before execve.
Status apply_personality(unsigned long persona);

}  // namespace berth::runtime
