#pragma once

#include <string_view>

#include "base/error.hpp"
#include "image/platform.hpp"

namespace berth::cli {

// --platform os/arch[/variant]; empty means the host's.
Result<image::Platform> parse_platform_flag(std::string_view text);

}  // namespace berth::cli
