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

bool running_rootless();
Paths default_paths(bool rootless);

}  // namespace berth::engine
