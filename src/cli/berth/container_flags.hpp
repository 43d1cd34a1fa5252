#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/error.hpp"
#include "engine/container_config.hpp"

// The flags of `docker run` and `docker create`, and the create request the docker CLI would send
// the Engine API for them.
namespace berth::cli {

struct ContainerFlags {
  bool detach = false;  // run only
  bool interactive = false;
  bool tty = false;
  bool auto_remove = false;
  std::string name;
  std::vector<std::string> attach;
  std::vector<std::string> env;
  std::vector<std::string> env_files;
  std::string workdir;
  std::string user;
  std::vector<std::string> group_add;
  std::optional<std::string> entrypoint;  // set, even to "", resets the image's
  std::string hostname;
  std::string domainname;
  std::vector<std::string> volumes;
  std::vector<std::string> mounts;
  std::vector<std::string> tmpfs;
  bool read_only = false;
  bool privileged = false;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::vector<std::string> security_opts;
  std::vector<std::string> devices;
  std::string memory;
  std::string memory_swap;
  std::string cpus;
  std::string cpu_shares;
  std::string cpu_period;
  std::string cpu_quota;
  std::string pids_limit;
  std::vector<std::string> ulimits;
  std::string shm_size;
  std::vector<std::string> sysctls;
  std::optional<bool> init;
  std::string restart;
  std::string stop_signal;
  std::string stop_timeout;
  std::vector<std::string> labels;
  std::vector<std::string> label_files;
  std::string network;
  std::string pid;
  std::string ipc;
  std::string uts;
  std::string userns;
  std::string oom_score_adj;
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_options;
  std::vector<std::string> add_hosts;
  std::vector<std::string> expose;
  std::vector<std::string> publish;
  bool publish_all = false;
  std::string log_driver;
  std::vector<std::string> log_opts;
};

// Registers the flags on `cmd` (docker's names and short forms). `-h` is --hostname, as in docker,
// so the command's help flag becomes --help alone. `run` adds -d/--detach. Flags end at the image,
// as in docker (`run busybox sh -c ...`: -c is the shell's): `cmd` is made a prefix command, so
// register no positionals on it and read the image and its command with image_and_command().
void add_container_flags(CLI::App& cmd, ContainerFlags& flags, bool run);

struct ImageAndCommand {
  std::string image;
  std::vector<std::string> command;
};

// Splits cmd.remaining() after parsing. A flag before the image is one berth does not know:
// `unknown flag: --foo`; no image: `"berth run" requires at least 1 argument`.
Result<ImageAndCommand> image_and_command(const std::vector<std::string>& remaining,
                                          const std::string& verb);

// Config and HostConfig as the docker CLI would send them: -v with a source to Binds (a path
// beginning with "." made absolute) and without one to Config.Volumes, --mount to Mounts, --cpus
// to NanoCpus, --env-file read and -e after it, --restart parsed, ... A bad value is one line
// naming the flag and the value: `invalid argument "12x" for "-m, --memory" flag: invalid size:
// '12x'`.
Result<engine::CreateRequest> to_create_request(const ContainerFlags& flags,
                                                const std::string& image,
                                                const std::vector<std::string>& args);

}  // namespace berth::cli
