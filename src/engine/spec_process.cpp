#include "engine/spec_process.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "base/root_path.hpp"
#include "base/strings.hpp"

namespace berth::engine {

namespace {

std::string env_key(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

}  // namespace

Result<std::vector<std::string>> container_args(const ContainerConfig& config) {
  std::vector<std::string> args;
  if (config.entrypoint) args = *config.entrypoint;
  if (config.cmd) args.insert(args.end(), config.cmd->begin(), config.cmd->end());
  if (args.empty()) return fail_msg("no command specified");
  return args;
}

std::vector<std::string> container_env(const ContainerConfig& config) {
  std::vector<std::string> env = {std::string("PATH=") + kDefaultPath,
                                  "HOSTNAME=" + config.hostname};
  if (config.tty) env.push_back("TERM=xterm");
  for (const auto& entry : config.env) {
    auto key = env_key(entry);
    bool has_value = entry.find('=') != std::string::npos;
    auto same = [&](const std::string& e) { return env_key(e) == key; };
    auto it = std::find_if(env.begin(), env.end(), same);
    if (!has_value) {
      env.erase(std::remove_if(env.begin(), env.end(), same), env.end());
    } else if (it != env.end()) {
      *it = entry;
    } else {
      env.push_back(entry);
    }
  }
  return env;
}

Result<std::string> container_cwd(const ContainerConfig& config) {
  if (config.working_dir.empty()) return std::string("/");
  if (config.working_dir[0] != '/')
    return fail_msg("the working directory " + quote(config.working_dir) +
                    " is invalid, it needs to be an absolute path");
  return config.working_dir;
}

Status ensure_working_dir(int root_fd, const std::string& cwd, std::optional<HostIds> owner) {
  std::string walked;
  for (const auto& part : split(cwd, '/')) {
    if (part.empty() || part == ".") continue;
    walked += "/" + part;
    auto existing = root_path::open(root_fd, walked, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (existing) continue;
    int err = existing.error().errno_value;
    if (err == ENOTDIR) return fail_msg("Cannot mkdir: " + walked + " is not a directory");
    if (err != ENOENT) return fail(existing.error().wrap("working directory"));
    auto made = root_path::mkdir_all(root_fd, walked, 0755);
    if (!made) return fail(made.error().wrap("working directory"));
    if (owner && ::fchownat(made->get(), "", owner->uid, owner->gid, AT_EMPTY_PATH) < 0)
      return fail_sys("chown working directory " + quote(walked));
  }
  return {};
}

}  // namespace berth::engine
