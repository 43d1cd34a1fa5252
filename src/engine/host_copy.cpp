#include "engine/host_copy.hpp"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "base/syscalls.hpp"
#include "engine/tree_tar_extractor.hpp"
#include "engine/tree_tar_writer.hpp"

namespace berth::engine {

namespace {

using copy_paths::CopyInfo;

constexpr int kMaxDestinationLinks = 10;  // as docker

Result<std::string> host_abs(const std::string& path) {
  if (path.starts_with('/')) return copy_paths::clean_keep_trailing(path);
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) return fail_sys("getcwd");
  // The joined path ends as path does, so its trailing "/" or "/." still counts.
  return copy_paths::clean_keep_trailing(std::string(cwd) + "/" + path);
}

Result<std::string> real_path(const std::string& path) {
  std::unique_ptr<char, decltype(&::free)> real(::realpath(path.c_str(), nullptr), ::free);
  if (!real) return fail_sys("lstat " + quote(path));
  return std::string(real.get());
}

bool trailing_slash(const std::string& path) {
  return !path.empty() && path.back() == '/';
}

Result<std::string> read_link(const std::string& path) {
  std::vector<char> buf(PATH_MAX);
  ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
  if (n < 0) return fail_sys("readlink " + quote(path));
  return std::string(buf.data(), static_cast<size_t>(n));
}

// Runs produce on a pipe's write end in a thread and consume on its read end. A producer's
// failure explains a broken stream better than the consumer's.
Status through_pipe(const std::function<Status(int)>& produce,
                    const std::function<Status(int)>& consume) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return fail_sys("pipe");
  unique_fd reader(fds[0]);
  unique_fd writer(fds[1]);
  Status produced;
  std::thread thread([&] {
    // A consumer that stops early gives the producer EPIPE, not a SIGPIPE that kills us.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    produced = produce(writer.get());
    writer.reset();
  });
  Status consumed = consume(reader.get());
  if (consumed) {
    // Whatever the tar's reader left (the end blocks) goes, so that the producer finishes.
    char buf[4096];
    while (::read(reader.get(), buf, sizeof(buf)) > 0) {
    }
  }
  reader.reset();
  thread.join();
  if (!produced && (consumed || consumed.error().message.find("read archive") != std::string::npos))
    return produced;
  return consumed;
}

}  // namespace

Result<CopyInfo> host_source_info(const std::string& path, bool follow_link) {
  const std::string abs = BERTH_TRY(host_abs(path));
  CopyInfo info;
  if (follow_link) {
    std::string resolved = BERTH_TRY(real_path(abs));
    if (copy_paths::base(abs) == "." && copy_paths::base(resolved) != ".")
      resolved += resolved == "/" ? "." : "/.";
    if (trailing_slash(abs) && !trailing_slash(resolved)) resolved += "/";
    if (copy_paths::base(abs) != copy_paths::base(resolved))
      info.rebase_name = copy_paths::base(abs);
    info.path = resolved;
  } else {
    // Symlinks before the last slash are followed, the last component is not.
    auto slash = abs.find_last_of('/');
    std::string dir = abs.substr(0, slash + 1);
    std::string name = abs.substr(slash + 1);
    std::string resolved_dir = BERTH_TRY(real_path(dir));
    info.path = (resolved_dir == "/" ? "" : resolved_dir) + "/" + name;
    if (trailing_slash(abs) && copy_paths::base(abs) != copy_paths::base(info.path))
      info.rebase_name = copy_paths::base(abs);
  }
  struct stat st;
  if (::lstat(info.path.c_str(), &st) < 0) return fail_sys("lstat " + quote(info.path));
  info.exists = true;
  info.is_dir = S_ISDIR(st.st_mode);
  return info;
}

Result<CopyInfo> host_destination_info(const std::string& path) {
  std::string current = BERTH_TRY(host_abs(path));
  struct stat st;
  int r = ::lstat(current.c_str(), &st);
  for (int n = 0; r == 0 && S_ISLNK(st.st_mode); ++n) {
    if (n > kMaxDestinationLinks) return fail_msg("too many symlinks in " + quote(path));
    std::string target = BERTH_TRY(read_link(current));
    if (!target.starts_with('/'))
      target = copy_paths::clean(copy_paths::split_dir_entry(current).dir + "/" + target);
    current = target;
    r = ::lstat(current.c_str(), &st);
  }
  CopyInfo info;
  info.path = current;
  if (r == 0) {
    info.exists = true;
    info.is_dir = S_ISDIR(st.st_mode);
    return info;
  }
  if (errno != ENOENT) return fail_sys("lstat " + quote(current));
  std::string parent = copy_paths::split_dir_entry(current).dir;
  if (::stat(parent.c_str(), &st) < 0) return fail_sys("stat " + quote(parent));
  if (!S_ISDIR(st.st_mode)) return fail_msg("not a directory");
  return info;
}

Status archive_host_path(const CopyInfo& src, int out_fd) {
  auto [dir, base] = copy_paths::split_dir_entry(src.path);
  auto writer = BERTH_TRY(TreeTarWriter::open(out_fd));
  if (base == "." || base == "/") {
    auto fd = BERTH_TRY(sys::open(base == "/" ? "/" : dir, O_PATH | O_DIRECTORY));
    BERTH_CHECK(writer.add(fd.get(), ".", "."));
  } else {
    auto fd = BERTH_TRY(sys::open(dir, O_PATH | O_DIRECTORY));
    BERTH_CHECK(writer.add(fd.get(), base, src.rebase_name.empty() ? base : src.rebase_name));
  }
  return writer.close();
}

Status extract_to_host(int tar_fd, const std::string& host_dir, const ExtractOptions& opts) {
  auto dir = BERTH_TRY(sys::open(host_dir, O_PATH | O_DIRECTORY));
  return extract_beneath(dir.get(), tar_fd, opts);
}

Status copy_host_to_container(const std::string& host_src, bool follow_link, int root_fd,
                              const std::string& container_dst, const ExtractOptions& opts) {
  CopyInfo src = BERTH_TRY(host_source_info(host_src, follow_link));
  CopyInfo dst;
  dst.path = copy_paths::container_abs(container_dst);
  auto st = stat_path(root_fd, dst.path);
  if (st && S_ISLNK(st->mode)) {
    dst.path = st->link_target;
    st = stat_path(root_fd, dst.path);
  }
  if (st) {
    if (!S_ISDIR(st->mode) && !S_ISREG(st->mode))
      return fail_msg("destination " + quote(container_dst) +
                      " must be a directory or a regular file");
    dst.exists = true;
    dst.is_dir = S_ISDIR(st->mode);
  } else if (st.error().errno_value != ENOENT) {
    return fail(st.error());
  }
  auto plan = BERTH_TRY(copy_paths::plan_copy(src, dst));
  ExtractOptions extract = opts;
  extract.rebase_from = plan.rebase_from;
  extract.rebase_to = plan.rebase_to;
  return through_pipe([&](int fd) { return archive_host_path(src, fd); },
                      [&](int fd) { return extract_to_path(root_fd, plan.dst_dir, fd, extract); });
}

Status copy_container_to_host(int root_fd, const std::string& container_src, bool follow_link,
                              const std::string& host_dst) {
  CopyInfo src;
  src.path = copy_paths::container_abs(container_src);
  auto st = BERTH_TRY(stat_path(root_fd, src.path));
  if (follow_link && S_ISLNK(st.mode)) {
    std::string target = st.link_target;
    if (copy_paths::base(src.path) == "." && copy_paths::base(target) != ".")
      target += target == "/" ? "." : "/.";
    if (trailing_slash(src.path) && !trailing_slash(target)) target += "/";
    if (copy_paths::base(src.path) != copy_paths::base(target))
      src.rebase_name = copy_paths::base(src.path);
    src.path = target;
    st = BERTH_TRY(stat_path(root_fd, src.path));
  }
  src.exists = true;
  src.is_dir = S_ISDIR(st.mode);
  CopyInfo dst = BERTH_TRY(host_destination_info(host_dst));
  auto plan = BERTH_TRY(copy_paths::plan_copy(src, dst));
  ExtractOptions extract;
  extract.uid = ::geteuid();
  extract.gid = ::getegid();
  extract.rebase_from = plan.rebase_from;
  extract.rebase_to = plan.rebase_to;
  ArchiveOptions archive;
  archive.name = src.rebase_name;
  return through_pipe([&](int fd) { return archive_path(root_fd, src.path, fd, archive); },
                      [&](int fd) { return extract_to_host(fd, plan.dst_dir, extract); });
}

}  // namespace berth::engine
