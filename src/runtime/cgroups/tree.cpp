#include "runtime/cgroups/tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <thread>

#include "base/fs.hpp"

namespace berth::runtime::cgroups {

Status make_dirs(const std::string& dir, std::vector<std::string>* created) {
  // mkdir first: the common cases (new leaf, existing dir) take one system call.
  if (::mkdir(dir.c_str(), 0755) == 0) {
    if (created != nullptr) created->push_back(dir);
    return {};
  }
  if (errno == EEXIST) {
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    return fail_msg("mkdir " + quote(dir) + ": exists and is not a directory");
  }
  if (errno != ENOENT) return fail_sys("mkdir " + quote(dir));
  auto parent = fs::dirname(dir);
  if (parent == dir) return fail_sys("mkdir " + quote(dir));
  BERTH_CHECK(make_dirs(parent, created));
  if (::mkdir(dir.c_str(), 0755) == 0) {
    if (created != nullptr) created->push_back(dir);
    return {};
  }
  if (errno == EEXIST) return {};
  return fail_sys("mkdir " + quote(dir));
}

namespace {

Status collect(const std::string& dir, std::vector<pid_t>& out, bool top) {
  auto procs = fs::read_file(dir + "/cgroup.procs");
  if (!procs) {
    if (!top && procs.error().errno_value == ENOENT) return {};
    return fail(procs.error());
  }
  const char* p = procs->data();
  const char* end = p + procs->size();
  while (p < end) {
    pid_t pid = 0;
    auto [next, ec] = std::from_chars(p, end, pid);
    if (ec == std::errc()) out.push_back(pid);
    p = next;
    while (p < end && (*p < '0' || *p > '9')) ++p;
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT && !top) return {};
    return fail_sys("opendir " + quote(dir));
  }
  Status status;
  while (auto* ent = ::readdir(d)) {
    if (ent->d_type != DT_DIR || ent->d_name[0] == '.') continue;
    status = collect(dir + "/" + ent->d_name, out, false);
    if (!status) break;
  }
  ::closedir(d);
  return status;
}

Status rmdir_retry(const std::string& dir) {
  auto delay = std::chrono::milliseconds(1);
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || attempt == 8) return fail_sys("rmdir " + quote(dir));
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
}

}  // namespace

Result<std::vector<pid_t>> procs_recursive(const std::string& dir) {
  std::vector<pid_t> out;
  BERTH_CHECK(collect(dir, out, true));
  return out;
}

Status remove_tree(const std::string& dir) {
  // Most containers leave no sub-cgroups: try the rmdir alone first.
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
  if (errno != EBUSY) return fail_sys("rmdir " + quote(dir));
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return {};
    return fail_sys("opendir " + quote(dir));
  }
  std::vector<std::string> children;
  while (auto* ent = ::readdir(d)) {
    if (ent->d_type == DT_DIR && ent->d_name[0] != '.') children.push_back(ent->d_name);
  }
  ::closedir(d);
  for (const auto& child : children) BERTH_CHECK(remove_tree(dir + "/" + child));
  return rmdir_retry(dir);
}

Result<bool> poll_until(const std::function<Result<bool>()>& done,
                        std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto delay = std::chrono::microseconds(50);
  for (;;) {
    if (BERTH_TRY(done())) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::microseconds>(delay * 2, std::chrono::milliseconds(10));
  }
}

bool is_permission_errno(int errno_value) {
  return errno_value == EACCES || errno_value == EPERM || errno_value == EROFS;
}

Result<std::string> read_value(const std::string& path) {
  auto text = BERTH_TRY(fs::read_file(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace berth::runtime::cgroups
