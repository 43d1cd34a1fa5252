#include "runtime/cgroups/v2.hpp"

#include <fcntl.h>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "runtime/cgroups/tree.hpp"

namespace berth::runtime::cgroups {

namespace {

constexpr auto kFreezeTimeout = std::chrono::seconds(10);

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = text.find_first_not_of(" \n", pos);
    if (start == std::string::npos) break;
    size_t end = text.find_first_of(" \n", start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    pos = end;
  }
  return out;
}

Result<bool> events_frozen(const std::string& dir) {
  auto events = BERTH_TRY(fs::read_file(dir + "/cgroup.events"));
  auto pos = events.find("frozen ");
  if (pos == std::string::npos)
    return fail_msg("read " + quote(dir + "/cgroup.events") + ": no \"frozen\" line");
  return events.compare(pos + 7, 1, "1") == 0;
}

}  // namespace

Result<std::vector<std::string>> V2Cgroup::available() const {
  return words(BERTH_TRY(fs::read_file(mount_ + "/cgroup.controllers")));
}

Status V2Cgroup::enable(const std::vector<std::string>& controllers) {
  if (controllers.empty()) return {};
  std::string all;
  for (const auto& c : controllers) all += (all.empty() ? "+" : " +") + c;
  std::vector<std::string> levels;
  for (std::string cur = fs::dirname(dir_); cur.size() >= mount_.size(); cur = fs::dirname(cur)) {
    levels.push_back(cur);
    // Rootless, the levels above the parent belong to whoever delegated the tree (systemd
    // --user manages them): only the container's parent is ours to change.
    if (rootless_ || cur == mount_ || cur == "/") break;
  }
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) {
    auto control = *it + "/cgroup.subtree_control";
    if (fs::write_file(control, all)) continue;
    // One at a time, so that one controller the parent lacks does not keep the others off.
    for (const auto& c : controllers) (void)fs::write_file(control, "+" + c);
  }
  return {};
}

Status V2Cgroup::check_usable(const std::string& what) const {
  if (usable_) return {};
  return fail_msg("cannot set " + what + ": " +
                  (dir_.empty() ? std::string("the container has no cgroup")
                                : "cgroup " + quote(dir_) + " could not be created or joined") +
                  " (rootless, and not delegated)");
}

Status V2Cgroup::create() {
  auto made = make_dirs(dir_, nullptr);
  if (!made) {
    if (rootless_ && is_permission_errno(made.error().errno_value)) {
      usable_ = false;
      return {};
    }
    return made;
  }
  if (enable_controllers_) {
    auto controllers = available();
    if (controllers) BERTH_CHECK(enable(*controllers));
  }
  return {};
}

Status V2Cgroup::add_process(pid_t pid) {
  if (!usable_) return {};
  auto written = fs::write_file(dir_ + "/cgroup.procs", std::to_string(pid));
  if (written || !rootless_) return written;
  int err = written.error().errno_value;
  if (!is_permission_errno(err) && err != ENOENT) return written;
  // A cgroup the container already has (exec): a process that skipped it would escape its
  // limits and its pause. cgroup v2 lets only a process inside the tree that holds both ends
  // move one.
  if (existing_)
    return fail_msg("join the container's cgroup: " + written.error().what() +
                    " (rootless: run this inside the delegated cgroup the container was started "
                    "from)");
  usable_ = false;
  return {};
}

Status V2Cgroup::set_frozen(bool frozen) {
  BERTH_CHECK(check_usable("freezer state"));
  BERTH_CHECK(fs::write_file(dir_ + "/cgroup.freeze", frozen ? "1" : "0"));
  auto done = BERTH_TRY(poll_until(
      [&]() -> Result<bool> { return BERTH_TRY(events_frozen(dir_)) == frozen; }, kFreezeTimeout));
  if (done) return {};
  if (frozen) (void)fs::write_file(dir_ + "/cgroup.freeze", "0");
  return fail_msg(std::string(frozen ? "freeze " : "thaw ") + quote(dir_) + ": cgroup.events " +
                  "still says frozen " + (frozen ? "0" : "1") + " after " +
                  std::to_string(kFreezeTimeout.count()) + "s");
}

Status V2Cgroup::freeze() {
  return set_frozen(true);
}
Status V2Cgroup::thaw() {
  return set_frozen(false);
}

Result<bool> V2Cgroup::frozen() {
  BERTH_CHECK(check_usable("freezer state"));
  return events_frozen(dir_);
}

Result<std::vector<pid_t>> V2Cgroup::pids() {
  if (!usable_) return fail_msg("list processes: no cgroup was created for the container");
  return procs_recursive(dir_);
}

Status V2Cgroup::destroy() {
  if (dir_.empty()) return {};
  auto removed = remove_tree(dir_);
  if (!removed && rootless_ && is_permission_errno(removed.error().errno_value)) return {};
  return removed;
}

Result<int> V2Cgroup::open_v2_dir_fd() {
  if (!usable_) return -1;
  auto fd = BERTH_TRY(sys::open(dir_, O_RDONLY | O_DIRECTORY));
  return fd.release();
}

nlohmann::json V2Cgroup::paths() const {
  nlohmann::json j{{"mode", "v2"}};
  if (usable_) j["unified"] = dir_;
  return j;
}

}  // namespace berth::runtime::cgroups
