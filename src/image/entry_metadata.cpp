#include "image/entry_metadata.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/layer_fs.hpp"

namespace berth::image {

namespace {

// security.* other than capabilities belongs to the host's LSM; overlay.* would let a layer plant
// redirects, metacopy or whiteouts that overlayfs trusts.
bool layer_may_set(const std::string& key) {
  if (key.starts_with("security.")) return key == "security.capability";
  return !key.starts_with("trusted.overlay.") && !key.starts_with("user.overlay.");
}

std::string ref_name(const EntryRef& ref) {
  return quote(ref.name.empty() ? "." : ref.name);
}

}  // namespace

EntryMetadata read_metadata(archive_entry* entry) {
  EntryMetadata meta;
  meta.uid = static_cast<uid_t>(archive_entry_uid(entry));
  meta.gid = static_cast<gid_t>(archive_entry_gid(entry));
  meta.mode = archive_entry_perm(entry) & 07777;
  meta.mtime = {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
  meta.atime = archive_entry_atime_is_set(entry)
                   ? timespec{archive_entry_atime(entry), archive_entry_atime_nsec(entry)}
                   : meta.mtime;
  archive_entry_xattr_reset(entry);
  const char* key = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
    if (key == nullptr || !layer_may_set(key)) continue;
    meta.xattrs.emplace_back(key, std::string(static_cast<const char*>(value), size));
  }
  return meta;
}

Status apply_ownership(const EntryRef& ref, const EntryMetadata& meta) {
  int r = ref.fd >= 0 ? ::fchown(ref.fd, meta.uid, meta.gid)
                      : ::fchownat(ref.dir_fd, ref.name.c_str(), meta.uid, meta.gid,
                                   AT_SYMLINK_NOFOLLOW | (ref.name.empty() ? AT_EMPTY_PATH : 0));
  if (r < 0)
    return fail_sys("chown " + ref_name(ref) + " to " + std::to_string(meta.uid) + ":" +
                    std::to_string(meta.gid));
  return {};
}

Status apply_xattrs(const EntryRef& ref, const EntryMetadata& meta) {
  for (const auto& [key, value] : meta.xattrs) {
    if (ref.fd < 0) {
      BERTH_CHECK(layer_fs::set_xattr(ref.dir_fd, ref.name, key, value));
    } else if (::fsetxattr(ref.fd, key.c_str(), value.data(), value.size(), 0) < 0) {
      return fail_sys("setxattr " + key + " on " + ref_name(ref));
    }
  }
  return {};
}

Status apply_mode(const EntryRef& ref, const EntryMetadata& meta) {
  // Only for inodes just made by mknod (not symlinks), so following name is safe here.
  int r = ref.fd >= 0 ? ::fchmod(ref.fd, meta.mode)
                      : ::fchmodat(ref.dir_fd, ref.name.c_str(), meta.mode, 0);
  if (r < 0) return fail_sys("chmod " + ref_name(ref));
  return {};
}

Status apply_times(const EntryRef& ref, const EntryMetadata& meta) {
  const struct timespec times[2] = {meta.atime, meta.mtime};
  int r = ref.fd >= 0 ? ::futimens(ref.fd, times)
                      : ::utimensat(ref.dir_fd, ref.name.c_str(), times, AT_SYMLINK_NOFOLLOW);
  if (r < 0) return fail_sys("set times of " + ref_name(ref));
  return {};
}

}  // namespace berth::image
