#include "engine/container_archive.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <vector>

#include "base/root_path.hpp"
#include "base/strings.hpp"
#include "engine/copy_paths.hpp"
#include "engine/tree_tar_extractor.hpp"
#include "engine/tree_tar_writer.hpp"

namespace berth::engine {

namespace {

constexpr int kMaxLinks = 40;  // the kernel's MAXSYMLINKS

Error not_found(const std::string& path) {
  return sys_error(ENOENT, "Could not find the file " + path + " in container");
}

// An object of the container named by its parent directory, opened in the root, and one name.
struct Located {
  unique_fd parent;
  std::string name;
  struct stat st = {};
};

Result<Located> locate(int root_fd, const std::string& abs) {
  const std::string object = copy_paths::clean(abs);
  Located out;
  if (object == "/") {
    out.parent = BERTH_TRY(root_path::open(root_fd, "/", O_PATH | O_DIRECTORY));
    out.name = ".";
  } else {
    auto parent = root_path::open(root_fd, copy_paths::dir(object), O_PATH | O_DIRECTORY);
    if (!parent) {
      int e = parent.error().errno_value;
      if (e == ENOENT || e == ENOTDIR) return fail(not_found(abs));
      return fail(parent.error());
    }
    out.parent = std::move(*parent);
    out.name = copy_paths::base(object);
  }
  if (::fstatat(out.parent.get(), out.name.c_str(), &out.st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return fail(not_found(abs));
    return fail_sys("stat " + quote(abs));
  }
  return out;
}

// abs with a trailing "/" or "/." says that a final symlink is followed.
Result<std::string> followed_if_asserted(int root_fd, const std::string& abs) {
  if (!copy_paths::asserts_directory(abs) || copy_paths::clean(abs) == "/") return abs;
  return resolve_in_root(root_fd, abs);
}

}  // namespace

Error with_container_name(Error e, const std::string& container) {
  if (e.errno_value == ENOENT && e.message.starts_with("Could not find the file ") &&
      e.message.ends_with(" in container")) {
    e.message += " " + container;
    e.errno_value = 0;
  }
  return e;
}

Result<std::string> resolve_in_root(int root_fd, const std::string& container_path) {
  std::deque<std::string> todo;
  for (auto& part : split(copy_paths::container_abs(container_path), '/'))
    if (!part.empty()) todo.push_back(std::move(part));
  std::vector<std::string> done;
  auto joined = [&] {
    std::string out;
    for (const auto& part : done) out += "/" + part;
    return out.empty() ? std::string("/") : out;
  };
  bool missing = false;
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(part);
    if (missing) continue;
    auto fd = root_path::open(root_fd, joined(), O_PATH | O_NOFOLLOW);
    if (!fd) {
      int e = fd.error().errno_value;
      if (e != ENOENT && e != ENOTDIR) return fail(fd.error());
      missing = true;
      continue;
    }
    struct stat st;
    if (::fstat(fd->get(), &st) < 0) return fail_sys("stat " + quote(joined()));
    if (!S_ISLNK(st.st_mode)) continue;
    if (++links > kMaxLinks) return fail(sys_error(ELOOP, "resolve " + quote(container_path)));
    std::vector<char> buf(static_cast<size_t>(st.st_size) + 2);
    ssize_t n = ::readlinkat(fd->get(), "", buf.data(), buf.size());
    if (n < 0) return fail_sys("readlink " + quote(joined()));
    std::string target(buf.data(), static_cast<size_t>(n));
    done.pop_back();
    if (target.starts_with('/')) done.clear();
    auto parts = split(target, '/');
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
      if (!it->empty()) todo.push_front(std::move(*it));
  }
  return joined();
}

Result<PathStat> stat_path(int root_fd, const std::string& container_path) {
  const std::string given = copy_paths::container_abs(container_path);
  const std::string abs = BERTH_TRY(followed_if_asserted(root_fd, given));
  auto found = BERTH_TRY(locate(root_fd, abs));
  PathStat out;
  out.name = copy_paths::base(given);
  out.size = found.st.st_size;
  out.mode = found.st.st_mode;
  out.mtime = found.st.st_mtim;
  if (S_ISLNK(found.st.st_mode)) out.link_target = BERTH_TRY(resolve_in_root(root_fd, abs));
  return out;
}

Status archive_path(int root_fd, const std::string& container_path, int out_fd,
                    const ArchiveOptions& opts) {
  const std::string given = copy_paths::container_abs(container_path);
  const bool contents = copy_paths::base(given) == "." || copy_paths::clean(given) == "/";
  std::string abs = opts.follow_link ? BERTH_TRY(resolve_in_root(root_fd, given))
                                     : BERTH_TRY(followed_if_asserted(root_fd, given));
  auto found = BERTH_TRY(locate(root_fd, abs));
  auto writer = BERTH_TRY(TreeTarWriter::open(out_fd));
  TreeWalk walk;
  walk.owner = opts.owner;
  if (contents) {
    if (!S_ISDIR(found.st.st_mode)) return fail(sys_error(ENOTDIR, "archive " + quote(given)));
    BERTH_CHECK(writer.add(found.parent.get(), found.name, ".", walk));
  } else {
    std::string name = !opts.name.empty() ? opts.name
                       : opts.follow_link ? copy_paths::base(abs)
                                          : copy_paths::base(given);
    BERTH_CHECK(writer.add(found.parent.get(), found.name, name, walk));
  }
  return writer.close();
}

Status extract_to_path(int root_fd, const std::string& container_dest, int tar_fd,
                       const ExtractOptions& opts) {
  const std::string abs = copy_paths::container_abs(container_dest);
  auto dest = root_path::open(root_fd, abs, O_PATH);
  if (!dest) {
    int e = dest.error().errno_value;
    if (e == ENOENT) return fail(not_found(abs));
    return fail(dest.error());
  }
  struct stat st;
  if (::fstat(dest->get(), &st) < 0) return fail_sys("stat " + quote(abs));
  if (!S_ISDIR(st.st_mode)) return fail_msg("extraction point is not a directory");
  return extract_beneath(dest->get(), tar_fd, opts);
}

Status export_rootfs(int root_fd, int out_fd, const OwnerTranslation& owner) {
  struct stat st;
  if (::fstat(root_fd, &st) < 0) return fail_sys("stat the container's root");
  TreeWalk walk;
  walk.one_file_system = true;
  walk.top_dev = st.st_dev;
  walk.skip_contents = {"proc", "sys"};
  walk.owner = owner;
  auto writer = BERTH_TRY(TreeTarWriter::open(out_fd));
  BERTH_CHECK(writer.add_contents(root_fd, "", walk));
  return writer.close();
}

}  // namespace berth::engine
