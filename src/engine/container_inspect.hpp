#pragma once

#include <nlohmann/json.hpp>

#include "engine/container_service.hpp"

namespace berth::engine {

// A container as `docker inspect` shows it (the Engine API's ContainerJSON).
nlohmann::json inspect_container(const ContainerService& service, const ContainerRecord& record);

}  // namespace berth::engine
