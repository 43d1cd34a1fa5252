#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"

namespace berth::engine {

// A name for a container the user did not name, as Docker gives one: adjective_noun
// ("steady_schooner"); berth's words are its own.
std::string random_container_name();

// Docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+, an optional leading '/' dropped.
Result<std::string> check_container_name(std::string_view name);

// 64 random hex digits, never all digits (Docker avoids ids that parse as numbers).
std::string new_container_id();

}  // namespace berth::engine
