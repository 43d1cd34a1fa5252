#include "image/layered_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/fs.hpp"
#include "base/strings.hpp"
#include "base/unique_fd.hpp"
#include "image/layer_fs.hpp"

namespace berth::image {

namespace {

enum class Found { absent, hidden, file };

// overlay.<what>=value in the namespace of format's xattrs; an unreadable key is no mark.
bool marked(int dir_fd, const std::string& name, WhiteoutFormat format, const char* what,
            const char* value) {
  std::string key =
      std::string(format == WhiteoutFormat::overlay_root ? "trusted" : "user") + ".overlay." + what;
  auto v = layer_fs::get_xattr(dir_fd, name, key);
  return v && *v && **v == value;
}

bool is_whiteout(int dir_fd, const std::string& name, const struct stat& st,
                 WhiteoutFormat format) {
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return true;
  return S_ISREG(st.st_mode) && st.st_size == 0 && marked(dir_fd, name, format, "whiteout", "y");
}

// What one layer says of the path; opaque is set when a directory on the way hides lower layers.
Result<Found> look_in_layer(const std::string& layer, const std::vector<std::string>& parts,
                            WhiteoutFormat format, std::string& content, bool& opaque) {
  unique_fd dir(::open(layer.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return fail_sys("open layer " + quote(layer));
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& name = parts[i];
    struct stat st;
    if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) return Found::absent;
      return fail_sys("stat " + quote(name) + " in layer " + quote(layer));
    }
    if (is_whiteout(dir.get(), name, st, format)) return Found::hidden;
    bool last = i + 1 == parts.size();
    if (last) {
      if (!S_ISREG(st.st_mode)) return Found::hidden;
      unique_fd file(::openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!file) return fail_sys("open " + quote(name) + " in layer " + quote(layer));
      auto text = fs::read_fd(file.get());
      if (!text) return fail(text.error());
      content = std::move(*text);
      return Found::file;
    }
    if (!S_ISDIR(st.st_mode)) return Found::hidden;
    unique_fd next(
        ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return fail_sys("open " + quote(name) + " in layer " + quote(layer));
    dir = std::move(next);
    if (marked(dir.get(), "", format, "opaque", "y")) opaque = true;
  }
  return Found::absent;
}

}  // namespace

Result<std::optional<std::string>> read_layered_file(const std::vector<std::string>& layers,
                                                     const std::string& path,
                                                     WhiteoutFormat format) {
  std::vector<std::string> parts;
  for (auto& p : split(path, '/'))
    if (!p.empty()) parts.push_back(p);
  if (parts.empty() || path[0] != '/')
    return fail_msg("read from image layers: " + quote(path) + " is not an absolute file path");
  for (const auto& p : parts)
    if (p == "." || p == "..")
      return fail_msg("read from image layers: " + quote(path) + " has . or ..");
  for (const auto& layer : layers) {
    std::string content;
    bool opaque = false;
    Found found = BERTH_TRY(look_in_layer(layer, parts, format, content, opaque));
    if (found == Found::file) return std::optional<std::string>(std::move(content));
    if (found == Found::hidden || opaque) break;
  }
  return std::optional<std::string>();
}

}  // namespace berth::image
