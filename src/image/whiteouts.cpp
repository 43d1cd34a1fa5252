#include "image/whiteouts.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "image/layer_fs.hpp"

namespace berth::image {

namespace {

constexpr std::string_view kPrefix = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

std::string opaque_key(WhiteoutFormat format) {
  return format == WhiteoutFormat::overlay_root ? "trusted.overlay.opaque" : "user.overlay.opaque";
}

int make_char_whiteout(int dir_fd, const std::string& name) {
  return ::mknodat(dir_fd, name.c_str(), S_IFCHR | 0, makedev(0, 0));
}

}  // namespace

// Where mknod of 0/0 is refused (some filesystems, some user namespaces), overlayfs (Linux 6.8+)
// also takes an empty regular file with overlay.whiteout set, if its directory has
// overlay.opaque=x ("may hold such whiteouts"; "y", fully opaque, hides the lower layers anyway).
Status write_file_whiteout(int dir_fd, const std::string& name) {
  int fd = -1;
  BERTH_CHECK(layer_fs::create_replacing(dir_fd, name, "create", [&] {
    fd = ::openat(dir_fd, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    return fd;
  }));
  ::close(fd);
  BERTH_CHECK(layer_fs::set_xattr(dir_fd, name, "user.overlay.whiteout", "y"));
  auto current = BERTH_TRY(layer_fs::get_xattr(dir_fd, "", "user.overlay.opaque"));
  if (current == "y") return {};
  return layer_fs::set_xattr(dir_fd, "", "user.overlay.opaque", "x");
}

WhiteoutName parse_whiteout(const std::string& base) {
  if (!base.starts_with(kPrefix)) return {};
  if (base == kOpaque) return {WhiteoutName::opaque, ""};
  // Other .wh..wh. names are aufs bookkeeping (hard link dirs), with no meaning for overlay.
  if (base.starts_with(".wh..wh.")) return {WhiteoutName::aufs_metadata, ""};
  return {WhiteoutName::whiteout, base.substr(kPrefix.size())};
}

Status write_whiteout(int dir_fd, const std::string& name, WhiteoutFormat format, bool* replaced) {
  auto made = layer_fs::create_replacing(
      dir_fd, name, "mknod whiteout", [&] { return make_char_whiteout(dir_fd, name); }, replaced);
  if (made || format == WhiteoutFormat::overlay_root) return made;
  if (made.error().errno_value != EPERM && made.error().errno_value != EOPNOTSUPP) return made;
  return write_file_whiteout(dir_fd, name);
}

Status mark_opaque(int dir_fd, WhiteoutFormat format) {
  return layer_fs::set_xattr(dir_fd, "", opaque_key(format), "y");
}

}  // namespace berth::image
