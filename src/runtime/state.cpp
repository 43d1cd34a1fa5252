#include "runtime/state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/fs.hpp"

namespace berth::runtime {

StateDir::StateDir(std::string root, std::string id) : path_(fs::join(root, id)) {}

Status validate_container_id(const std::string& id) {
  if (id.empty()) return fail_msg("invalid container id: must not be empty");
  if (id.size() > 1024) return fail_msg("invalid container id: longer than 1024 characters");
  if (id == "." || id == "..") return fail_msg("invalid container id " + quote(id));
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '+';
    if (!ok)
      return fail_msg("invalid container id " + quote(id) + ": only [A-Za-z0-9_+.-] allowed");
  }
  return {};
}

Status claim_state_dir(const std::string& root, const std::string& id) {
  BERTH_CHECK(fs::mkdir_p(root, 0700));
  auto path = fs::join(root, id);
  if (::mkdir(path.c_str(), 0700) < 0) {
    if (errno == EEXIST) return fail_msg("container " + quote(id) + " already exists");
    return fail_sys("mkdir " + quote(path));
  }
  return {};
}

Status save_state(const StateDir& dir, const ContainerState& s) {
  nlohmann::json j = {{"id", s.id},
                      {"bundle", s.bundle},
                      {"rootfs", s.rootfs},
                      {"pid", s.pid},
                      {"pid_start_time", s.pid_start_time},
                      {"created", s.created},
                      {"owner", s.owner},
                      {"rootless", s.rootless},
                      {"new_pid_namespace", s.new_pid_namespace},
                      {"init_runs_runtime", s.init_runs_runtime},
                      {"cgroups_path", s.cgroups_path},
                      {"cgroup_paths", s.cgroup_paths},
                      {"annotations", s.annotations},
                      {"oci_version", s.oci_version},
                      {"poststart", hooks_to_json(s.poststart)},
                      {"poststop", hooks_to_json(s.poststop)}};
  return fs::write_file_atomic(dir.state_file(), j.dump(), 0600);
}

Result<ContainerState> load_state(const std::string& root, const std::string& id) {
  BERTH_CHECK(validate_container_id(id));
  StateDir dir(root, id);
  auto text = fs::read_file(dir.state_file());
  if (!text) {
    if (text.error().errno_value == ENOENT)
      return fail_msg("container " + quote(id) + " does not exist");
    return fail(text.error());
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail_msg(dir.state_file() + ": corrupt state file");
  ContainerState s;
  try {
    s.id = j.at("id").get<std::string>();
    s.bundle = j.at("bundle").get<std::string>();
    s.rootfs = j.value("rootfs", "");
    s.pid = j.at("pid").get<pid_t>();
    s.pid_start_time = j.at("pid_start_time").get<unsigned long long>();
    s.created = j.value("created", "");
    s.owner = j.value("owner", 0u);
    s.rootless = j.value("rootless", false);
    s.new_pid_namespace = j.value("new_pid_namespace", true);
    s.init_runs_runtime = j.value("init_runs_runtime", false);
    s.cgroups_path = j.value("cgroups_path", "");
    s.cgroup_paths = j.value("cgroup_paths", nlohmann::json::object());
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.oci_version = j.value("oci_version", "");
    if (j.contains("poststart")) {
      auto hooks = hooks_from_json(j["poststart"], "poststart");
      if (!hooks) return fail(hooks.error().wrap(dir.state_file()));
      s.poststart = std::move(*hooks);
    }
    if (j.contains("poststop")) {
      auto hooks = hooks_from_json(j["poststop"], "poststop");
      if (!hooks) return fail(hooks.error().wrap(dir.state_file()));
      s.poststop = std::move(*hooks);
    }
  } catch (const nlohmann::json::exception& e) {
    return fail_msg(dir.state_file() + ": corrupt state file: " + e.what());
  }
  return s;
}

Result<std::vector<std::string>> list_container_ids(const std::string& root) {
  std::vector<std::string> ids;
  DIR* d = ::opendir(root.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return ids;
    return fail_sys("open " + quote(root));
  }
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (fs::exists(fs::join(fs::join(root, name), "state.json"))) ids.push_back(name);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string status_name(ContainerStatus s) {
  switch (s) {
    case ContainerStatus::creating:
      return "creating";
    case ContainerStatus::created:
      return "created";
    case ContainerStatus::running:
      return "running";
    case ContainerStatus::paused:
      return "paused";
    case ContainerStatus::stopped:
      return "stopped";
  }
  return "unknown";
}

namespace {

// Returns the state letter and start time of a process, from /proc/<pid>/stat.
bool read_stat(pid_t pid, char* state, unsigned long long* start) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  // The command name may hold spaces and parentheses: fields restart after the last ')'.
  char* p = std::strrchr(buf, ')');
  if (p == nullptr) return false;
  p += 2;
  *state = *p;
  // After the state (field 3) come fields 4..21; the start time is field 22.
  int field = 3;
  while (*p && field < 22) {
    if (*p == ' ') ++field;
    ++p;
  }
  *start = std::strtoull(p, nullptr, 10);
  return true;
}

}  // namespace

unsigned long long process_start_time(pid_t pid) {
  char state;
  unsigned long long start = 0;
  if (!read_stat(pid, &state, &start)) return 0;
  return start;
}

bool process_alive(pid_t pid, unsigned long long start_time) {
  if (pid <= 0) return false;
  char state;
  unsigned long long start = 0;
  if (!read_stat(pid, &state, &start)) return false;
  if (state == 'Z' || state == 'X') return false;
  return start == start_time;
}

nlohmann::json state_json(const ContainerState& s, ContainerStatus status) {
  nlohmann::json j = {{"ociVersion", s.oci_version.empty() ? "1.0.2" : s.oci_version},
                      {"id", s.id},
                      {"status", status_name(status)},
                      {"pid", status == ContainerStatus::stopped ? 0 : s.pid},
                      {"bundle", s.bundle},
                      {"rootfs", s.rootfs},
                      {"created", s.created},
                      {"owner", ""}};
  j["annotations"] =
      s.annotations.empty() ? nlohmann::json::object() : nlohmann::json(s.annotations);
  return j;
}

}  // namespace berth::runtime
