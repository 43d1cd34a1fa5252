#include "image/snapshot_layers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "base/syscalls.hpp"

namespace berth::image::snapshot_layers {

Status write(int snapshot_dir_fd, const std::vector<Digest>& chain_ids, const std::string& shown) {
  std::string text;
  for (const auto& d : chain_ids) text += d.str() + "\n";
  auto fd = BERTH_TRY(
      sys::openat(snapshot_dir_fd, "layers", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600));
  if (auto r = sys::write_all(fd.get(), text); !r)
    return fail(r.error().wrap("write " + quote(shown)));
  return {};
}

Result<std::vector<Digest>> read(int snapshot_dir_fd, const std::string& shown) {
  auto fd = sys::openat(snapshot_dir_fd, "layers", O_RDONLY | O_NOFOLLOW);
  if (!fd) return fail(fd.error().wrap("snapshot " + quote(shown)));
  auto text = fs::read_fd(fd->get());
  if (!text) return fail(text.error().wrap("read " + quote(shown)));
  std::vector<Digest> out;
  for (const auto& line : split(*text, '\n')) {
    if (line.empty()) continue;
    auto d = parse_digest(line);
    if (!d) return fail(d.error().wrap(quote(shown)));
    out.push_back(std::move(*d));
  }
  return out;
}

Result<std::set<std::string>> all(const std::string& data_root) {
  std::set<std::string> out;
  const std::string root = fs::join(data_root, "snapshots");
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return out;
    return fail_sys("open " + quote(root));
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return fail_sys("opendir " + quote(root));
  }
  std::vector<std::string> keys;
  while (auto* ent = ::readdir(dir))
    if (ent->d_name[0] != '.') keys.emplace_back(ent->d_name);
  Status status;
  for (const auto& key : keys) {
    int snap = ::openat(::dirfd(dir), key.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (snap < 0) continue;
    unique_fd owned(snap);
    if (::faccessat(snap, "layers", F_OK, AT_SYMLINK_NOFOLLOW) < 0) continue;
    auto chains = read(snap, fs::join(root, key + "/layers"));
    if (!chains) {
      status = fail(chains.error());
      break;
    }
    for (const auto& d : *chains) out.insert(d.str());
  }
  ::closedir(dir);
  if (!status) return fail(status.error());
  return out;
}

}  // namespace berth::image::snapshot_layers
