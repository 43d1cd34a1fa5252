#include "image/layer_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "image/dir_tree.hpp"
#include "image/leftovers.hpp"

namespace berth::image {

namespace {

using leftovers::kTempPrefix;

Status write_size(int dir_fd, uint64_t bytes, const std::string& shown) {
  std::string text = std::to_string(bytes) + "\n";
  std::string tmp = leftovers::temp_name("size");
  auto fd = BERTH_TRY(sys::openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
  if (auto r = sys::write_all(fd.get(), text); !r) {
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return fail(r.error().wrap("write " + quote(shown)));
  }
  if (::renameat(dir_fd, tmp.c_str(), dir_fd, "size") < 0) {
    auto e = sys_error("rename to " + quote(shown));
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return fail(e);
  }
  return {};
}

}  // namespace

Result<LayerStore> LayerStore::open(const std::string& data_root, const UnpackOptions& opts) {
  std::string root = fs::join(data_root, "layers");
  BERTH_CHECK(fs::mkdir_p(root, 0700));
  auto dir = BERTH_TRY(sys::open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  auto content = BERTH_TRY(ContentStore::open(fs::join(data_root, "content")));
  UnpackOptions o = opts;
  o.digests = true;
  return LayerStore(std::move(root), std::move(dir), std::move(content), o);
}

std::string LayerStore::diff_path(const Digest& chain_id) const {
  return fs::join(root_, chain_id.hex + "/diff");
}

bool LayerStore::has(const Digest& chain_id) const {
  if (!check_digest(chain_id)) return false;
  struct stat st;
  return ::fstatat(dir_.get(), (chain_id.hex + "/diff").c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISDIR(st.st_mode);
}

Result<bool> LayerStore::ensure(const Digest& chain_id, const Digest& layer_blob,
                                const Digest& diff_id) {
  BERTH_CHECK(check_digest(chain_id));
  BERTH_CHECK(check_digest(layer_blob));
  BERTH_CHECK(check_digest(diff_id));
  if (has(chain_id)) return false;
  auto [tmp_name, tmp_fd] =
      BERTH_TRY(leftovers::make_locked_dir(dir_.get(), chain_id.hex.substr(0, 12), root_));
  auto placed = unpack(chain_id, layer_blob, diff_id, tmp_fd.get(), tmp_name);
  if (!placed || !*placed) {
    // Removed while still locked, so that no gc() takes it for a crash's leftover meanwhile.
    auto removed = dir_tree::remove(dir_.get(), tmp_name, fs::join(root_, tmp_name));
    if (!placed) return placed;
    BERTH_CHECK(removed);
    return false;
  }
  return true;
}

// True when the layer was moved into place, false when another unpack of it came first.
Result<bool> LayerStore::unpack(const Digest& chain_id, const Digest& layer_blob,
                                const Digest& diff_id, int tmp_fd, const std::string& tmp_name) {
  const std::string what = "unpack layer " + layer_blob.str();
  auto blob = content_.open_blob(layer_blob);
  if (!blob) return fail(blob.error().wrap(what));
  if (::mkdirat(tmp_fd, "diff", 0755) < 0)
    return fail_sys("mkdir " + quote(fs::join(root_, tmp_name + "/diff")));
  auto stats = unpack_layer(blob->get(), fs::join(root_, tmp_name + "/diff"), opts_);
  if (!stats) return fail(stats.error().wrap(what));
  if (stats->blob_digest != layer_blob)
    return fail_msg(what + ": content has digest " + stats->blob_digest->str());
  if (stats->diff_id != diff_id)
    return fail_msg(what + ": its diff id is " + stats->diff_id->str() +
                    ", the image config says " + diff_id.str());
  BERTH_CHECK(write_size(tmp_fd, stats->bytes, fs::join(root_, tmp_name + "/size")));
  // The rename must not reach the disk before the files it publishes.
  if (::syncfs(tmp_fd) < 0) return fail_sys("syncfs " + quote(root_));
  if (::renameat2(dir_.get(), tmp_name.c_str(), dir_.get(), chain_id.hex.c_str(),
                  RENAME_NOREPLACE) < 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) return false;
    return fail_sys("rename " + quote(fs::join(root_, tmp_name)) + " to " +
                    quote(fs::join(root_, chain_id.hex)));
  }
  if (::fsync(dir_.get()) < 0) return fail_sys("fsync " + quote(root_));
  return true;
}

Result<uint64_t> LayerStore::size(const Digest& chain_id) const {
  BERTH_CHECK(check_digest(chain_id));
  const std::string shown = fs::join(root_, chain_id.hex);
  auto layer =
      BERTH_TRY(sys::openat(dir_.get(), chain_id.hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  if (auto fd = sys::openat(layer.get(), "size", O_RDONLY | O_NOFOLLOW)) {
    auto text = BERTH_TRY(fs::read_fd(fd->get()));
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end != text.data()) return value;
  }
  auto bytes = BERTH_TRY(dir_tree::regular_bytes(layer.get(), "diff", shown + "/diff"));
  (void)write_size(layer.get(), bytes, shown + "/size");  // a cache: a read-only store still works
  return bytes;
}

Result<std::vector<Digest>> LayerStore::list() const {
  auto names = BERTH_TRY(fs::names_at(dir_.get(), root_));
  std::vector<Digest> out;
  for (const auto& name : names) {
    if (name.starts_with(kTempPrefix)) continue;
    auto d = parse_digest("sha256:" + name);
    if (d && has(*d)) out.push_back(std::move(*d));
  }
  return out;
}

Status LayerStore::remove(const Digest& chain_id) {
  BERTH_CHECK(check_digest(chain_id));
  const std::string shown = fs::join(root_, chain_id.hex);
  auto fd = BERTH_TRY(sys::openat(dir_.get(), chain_id.hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  if (::flock(fd.get(), LOCK_EX) < 0) return fail_sys("flock " + quote(shown));
  // Out of sight at once; what a failed removal leaves is a leftover for gc().
  std::string tmp = leftovers::temp_name("rm-" + chain_id.hex.substr(0, 12));
  if (::renameat(dir_.get(), chain_id.hex.c_str(), dir_.get(), tmp.c_str()) < 0)
    return fail_sys("rename " + quote(shown) + " to " + quote(fs::join(root_, tmp)));
  return dir_tree::remove(dir_.get(), tmp, fs::join(root_, tmp));
}

Result<std::vector<std::string>> LayerStore::leftovers(int64_t older_than) const {
  return leftovers::find(root_, kTempPrefix, older_than);
}

Result<uint64_t> LayerStore::remove_leftover(const std::string& name) {
  if (!name.starts_with(kTempPrefix))
    return fail_msg("remove " + quote(fs::join(root_, name)) + ": not a temp dir of the store");
  return leftovers::remove(root_, name);
}

}  // namespace berth::image
