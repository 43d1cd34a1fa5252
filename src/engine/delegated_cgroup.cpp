#include "engine/delegated_cgroup.hpp"

#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "runtime/cgroups/path.hpp"

namespace berth::engine {
namespace {

constexpr const char* kContainersDir = "berth";
// A process forked in the delegated cgroup between the move and the enabling makes the
// enabling fail with EBUSY: the move is tried again this often.
constexpr int kMoveAttempts = 5;

// The names in a cgroup.controllers or cgroup.subtree_control file.
Result<std::vector<std::string>> controllers_in(const std::string& path) {
  auto text = BERTH_TRY(fs::read_file(path));
  std::vector<std::string> out;
  for (auto& word : split(text.substr(0, text.find('\n')), ' '))
    if (!word.empty()) out.push_back(std::move(word));
  return out;
}

Result<std::vector<std::string>> pids_in(const std::string& dir) {
  auto text = BERTH_TRY(fs::read_file(dir + "/cgroup.procs"));
  std::vector<std::string> out;
  for (auto& line : split(text, '\n'))
    if (!line.empty()) out.push_back(std::move(line));
  return out;
}

bool marked_delegated(const std::string& dir) {
  for (const char* name : {"trusted.delegate", "user.delegate"}) {
    char value[8];
    ssize_t n = ::getxattr(dir.c_str(), name, value, sizeof value);
    if (n == 1 && value[0] == '1') return true;
  }
  return false;
}

// Moves every process of dir into leaf; one that exits meanwhile is no error.
Status move_processes(const std::string& dir, const std::string& leaf) {
  for (const auto& pid : BERTH_TRY(pids_in(dir))) {
    auto moved = fs::write_file(leaf + "/cgroup.procs", pid);
    if (!moved && moved.error().errno_value != ESRCH)
      return fail(moved.error().wrap("move process " + pid + " out of " + quote(dir)));
  }
  return {};
}

bool contains_all(const std::vector<std::string>& have, const std::vector<std::string>& want) {
  return std::all_of(want.begin(), want.end(), [&](const std::string& c) {
    return std::find(have.begin(), have.end(), c) != have.end();
  });
}

// Enables controllers for dir's children: all at once, else one by one, so that one the kernel
// refuses (cpu while a realtime task runs) keeps the others on. Reports EBUSY (dir has
// processes) as such; returns what dir's children get.
Result<std::vector<std::string>> enable(const std::string& dir,
                                        const std::vector<std::string>& controllers) {
  const std::string control = dir + "/cgroup.subtree_control";
  if (controllers.empty() || contains_all(BERTH_TRY(controllers_in(control)), controllers))
    return controllers_in(control);
  std::string all;
  for (const auto& c : controllers) all += (all.empty() ? "+" : " +") + c;
  auto written = fs::write_file(control, all);
  if (!written) {
    if (written.error().errno_value == EBUSY) return fail(written.error());
    for (const auto& c : controllers) (void)fs::write_file(control, "+" + c);
  }
  return controllers_in(control);
}

}  // namespace

std::string DelegatedCgroup::dir() const {
  return mount + (path == "/" ? "" : path);
}

std::string DelegatedCgroup::container_path(const std::string& id) const {
  return (path == "/" ? "" : path) + "/" + kContainersDir + "/" + id;
}

Result<std::optional<std::string>> delegation_candidate(runtime::cgroups::Mode mode,
                                                        const std::string& proc_self_cgroup) {
  if (mode == runtime::cgroups::Mode::v1) return std::nullopt;
  auto lines = BERTH_TRY(runtime::cgroups::parse_proc_cgroup(proc_self_cgroup));
  auto v2 = std::find_if(lines.begin(), lines.end(),
                         [](const auto& l) { return l.hierarchy == 0 && l.controllers.empty(); });
  if (v2 == lines.end()) return fail_msg("/proc/self/cgroup names no cgroup v2 path");
  std::string path = runtime::cgroups::clean_path("/" + v2->path);
  if (fs::basename(path) == kDelegatedLeaf) path = fs::dirname(path);
  return path;
}

std::string first_unwritable(const std::string& dir) {
  for (const char* file : {"", "/cgroup.procs", "/cgroup.subtree_control"}) {
    std::string path = dir + file;
    if (::access(path.c_str(), W_OK) < 0) return path;
  }
  return "";
}

Result<std::optional<DelegatedCgroup>> find_delegated_cgroup() {
  auto mode = BERTH_TRY(runtime::cgroups::detect_mode());
  auto path = BERTH_TRY(delegation_candidate(mode, BERTH_TRY(fs::read_file("/proc/self/cgroup"))));
  if (!path) return std::nullopt;
  DelegatedCgroup cgroup{runtime::cgroups::unified_mount(mode), *path, {}, false};
  const std::string dir = cgroup.dir();
  if (!first_unwritable(dir).empty()) return std::nullopt;
  const std::string self = std::to_string(::getpid());
  auto holds_self = [&](const std::string& at) {
    auto pids = pids_in(at);
    return pids && std::find(pids->begin(), pids->end(), self) != pids->end();
  };
  if (!holds_self(dir) && !holds_self(dir + "/" + kDelegatedLeaf)) return std::nullopt;
  cgroup.controllers = BERTH_TRY(controllers_in(dir + "/cgroup.controllers"));
  cgroup.marked = marked_delegated(dir);
  return cgroup;
}

Result<std::vector<std::string>> prepare_delegated_cgroup(const DelegatedCgroup& cgroup) {
  const std::string dir = cgroup.dir();
  const std::string containers = dir + "/" + kContainersDir;
  auto what = [&](const std::string& step) { return "prepare the delegated cgroup: " + step; };
  std::vector<std::string> given;
  for (int attempt = 1;; ++attempt) {
    auto enabled = enable(dir, cgroup.controllers);
    if (enabled) {
      given = std::move(*enabled);
      break;
    }
    if (enabled.error().errno_value != EBUSY)
      return fail(enabled.error().wrap(what("enable controllers")));
    if (attempt == kMoveAttempts)
      return fail_msg(what("processes keep entering " + quote(dir) + " (tried " +
                           std::to_string(kMoveAttempts) + " times to move them out)"));
    if (attempt > 1) ::usleep(1000 * attempt);
    const std::string leaf = dir + "/" + kDelegatedLeaf;
    auto moved = fs::mkdir_p(leaf, 0755);
    if (moved) moved = move_processes(dir, leaf);
    if (!moved) return fail(moved.error().wrap(what("leave room for controllers")));
  }
  auto made = fs::mkdir_p(containers, 0755);
  if (!made) return fail(made.error().wrap(what("make the containers' parent")));
  auto enabled = enable(containers, given);
  if (!enabled) return fail(enabled.error().wrap(what("enable controllers")));
  return enabled;
}

}  // namespace berth::engine
