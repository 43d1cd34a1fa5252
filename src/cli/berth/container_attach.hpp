#pragma once

#include "base/error.hpp"
#include "engine/attach_session.hpp"
#include "engine/container_service.hpp"

namespace berth::cli {

struct AttachOptions {
  bool stdin_ = false;   // send our stdin (-i)
  bool tty = false;      // the container has a terminal: ours goes raw and follows its size
  bool cleanup = false;  // we record the exit and remove --rm leftovers ourselves
  bool proxy_signals = true;
};

// Attached to a container whose monitor listens on its attach socket: our stdio to it and back
// until it exits. Returns its exit code.
Result<int> attach_to_container(engine::ContainerService& service,
                                const engine::ContainerRecord& record, pid_t pid,
                                const AttachOptions& options);

// The same in two steps, for a container made to wait for its first client: connect (which lets
// it start), then pump until it exits.
Result<engine::AttachSession> connect_to_container(engine::ContainerService& service,
                                                   const engine::ContainerRecord& record,
                                                   const AttachOptions& options);
Result<int> pump_container(engine::ContainerService& service, const engine::ContainerRecord& record,
                           pid_t pid, engine::AttachSession& session, const AttachOptions& options);

}  // namespace berth::cli
