#pragma once

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "engine/image_service.hpp"

namespace berth::engine {

// `docker image inspect` of a recorded image, field for field as the Engine API returns it.
Result<nlohmann::json> inspect_image(ImageService& images, const image::ImageRecord& record);

}  // namespace berth::engine
