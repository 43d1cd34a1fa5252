#pragma once

#include <string>

namespace berth::engine {

// Where berth keeps its state (DESIGN.md, "Where state lives"): the rootful defaults when the
// effective uid is 0, the XDG folders of the user otherwise.
struct Paths {
  std::string data_root;    // images, layers, volumes, db
  std::string exec_root;    // sockets, pids, mounts
  std::string config_file;  // daemon.json
  std::string client_dir;   // config.json with registry credentials (Docker's --config)
};

// Not root of the host: an unprivileged user, or root of a user namespace (where rootless berth
// runs, and the monitor's cleanup command after it).
bool running_rootless();
// Whether this process is in a user namespace other than the host's.
bool in_user_namespace();
Paths default_paths(bool rootless);

}  // namespace berth::engine
