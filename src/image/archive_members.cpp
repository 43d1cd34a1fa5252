#include "image/archive_members.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <array>

#include "base/strings.hpp"
#include "image/archive_io.hpp"
#include "image/layer_path.hpp"
#include "image/manifest.hpp"

namespace berth::image {

namespace {

// Other files stay in memory up to this size, and up to this much in all; larger ones go into the
// store at once, under the digest they turn out to have, so that no file descriptor is held per
// member.
constexpr size_t kMemoryLimit = 1 << 20;
constexpr size_t kMemoryBudget = 64 << 20;
constexpr int kMaxLinkHops = 40;

std::string member_context(const std::string& name) {
  return "archive member " + quote(name);
}

bool is_document(const std::string& name) {
  static const std::array<std::string, 4> kDocuments = {"manifest.json", "index.json", "oci-layout",
                                                        "repositories"};
  for (const auto& d : kDocuments)
    if (name == d) return true;
  return false;
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

Result<std::string> link_target(archive_entry* entry, const std::string& name) {
  if (const char* hard = archive_entry_hardlink(entry)) {
    auto clean = clean_member_path(hard);
    if (!clean) return fail_msg("hard link to " + quote(hard) + ": " + clean.error().message);
    return *clean;
  }
  const char* target = archive_entry_symlink(entry);
  if (target == nullptr) target = archive_entry_symlink_utf8(entry);
  if (target == nullptr) return fail_msg("symlink without a target");
  std::string t = target;
  if (t.starts_with("/")) return fail_msg("symlink to the absolute path " + quote(t));
  std::string parent = parent_of(name);
  auto clean = clean_layer_path(parent.empty() ? t : parent + "/" + t);
  if (!clean) return fail_msg("symlink to " + quote(t) + " leaves the archive");
  return *clean;
}

// blobs/<algorithm>/<encoded>, whose content must have that digest.
Result<std::optional<Digest>> blob_name(const std::string& name) {
  if (!name.starts_with("blobs/")) return std::optional<Digest>{};
  auto parts = split(name, '/');
  if (parts.size() != 3) return fail_msg("not a blob name (blobs/<algorithm>/<hex>)");
  auto d = parse_digest(parts[1] + ":" + parts[2]);
  if (!d) return fail(d.error());
  return std::optional<Digest>(*d);
}

Status store_blob(const ContentStore& store, archive* a, archive_entry* entry, const Digest& d) {
  std::optional<uint64_t> size;
  if (archive_entry_size_is_set(entry)) size = static_cast<uint64_t>(archive_entry_size(entry));
  auto writer = BERTH_TRY(store.writer(d, size));
  if (writer.exists()) return read_entry_data(a, [](std::string_view) -> Status { return {}; });
  if (writer.offset() != 0) BERTH_CHECK(writer.restart());
  auto status = read_entry_data(a, [&](std::string_view data) { return writer.write(data); });
  if (!status) {
    (void)writer.abort();
    return status;
  }
  return writer.commit();
}

Result<Spool> spool_member(const ContentStore& store, archive* a, const std::string& name,
                           size_t memory_limit) {
  const bool document = is_document(name);
  Spool spool(store, document ? kMaxManifestSize : memory_limit);
  BERTH_CHECK(read_entry_data(a, [&](std::string_view data) -> Status {
    if (document && spool.size() + data.size() > kMaxManifestSize)
      return fail_msg("larger than the limit of " + std::to_string(kMaxManifestSize) + " bytes");
    return spool.write(data);
  }));
  spool.finish();
  if (!spool.in_memory()) BERTH_CHECK(spool.commit());
  return spool;
}

}  // namespace

Result<std::string> clean_member_path(const std::string& name) {
  if (name.starts_with("/")) return fail_msg("absolute path");
  std::string out;
  for (const auto& part : split(name, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return fail_msg("path with \"..\"");
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

Result<ArchiveMembers> ArchiveMembers::read(const ContentStore& store, int fd) {
  auto reader = BERTH_TRY(open_tar_reader(fd, "read archive"));
  archive* a = reader.get();
  ArchiveMembers members(store);
  size_t memory_left = kMemoryBudget;
  std::string last;
  for (;;) {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      if (last.empty()) return fail_msg("read archive: " + archive_why(a));
      return fail_msg("read archive after member " + quote(last) + ": " + archive_why(a));
    }
    const char* raw = archive_entry_pathname(entry);
    if (raw == nullptr) raw = archive_entry_pathname_utf8(entry);
    if (raw == nullptr) return fail_msg("read archive: a member with an unreadable name");
    last = raw;
    auto in_context = [&](const Error& e) { return fail(e.wrap(member_context(last))); };
    auto name = clean_member_path(last);
    if (!name) return in_context(name.error());
    auto type = archive_entry_filetype(entry);
    if (type == AE_IFDIR || name->empty()) continue;
    ArchiveMember member;
    if (archive_entry_hardlink(entry) != nullptr || type == AE_IFLNK) {
      auto target = link_target(entry, *name);
      if (!target) return in_context(target.error());
      member.link = std::move(*target);
    } else if (type == AE_IFREG) {
      auto blob = blob_name(*name);
      if (!blob) return in_context(blob.error());
      if (*blob) {
        if (auto s = store_blob(store, a, entry, **blob); !s) return in_context(s.error());
        member.blob = std::move(*blob);
      } else {
        auto spool = spool_member(store, a, *name, std::min(kMemoryLimit, memory_left));
        if (!spool) return in_context(spool.error());
        if (spool->in_memory()) {
          memory_left -= std::min<size_t>(memory_left, spool->size());
          member.content = std::move(*spool);
        } else {
          member.blob = spool->digest();
        }
      }
    } else {
      return in_context(plain_error("not a regular file, directory or link"));
    }
    members.members_.insert_or_assign(std::move(*name), std::move(member));
  }
  return members;
}

bool ArchiveMembers::has(const std::string& name) const {
  auto clean = clean_member_path(name);
  return clean && members_.contains(*clean);
}

Result<const ArchiveMember*> ArchiveMembers::find(const std::string& name) const {
  auto clean = clean_member_path(name);
  if (!clean) return fail(clean.error().wrap(member_context(name)));
  std::string current = *clean;
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    auto it = members_.find(current);
    if (it == members_.end()) {
      if (current == *clean) return fail_msg(member_context(name) + ": not in the archive");
      return fail_msg(member_context(name) + ": links to " + quote(current) +
                      ", which is not in the archive");
    }
    if (it->second.link.empty()) return &it->second;
    current = it->second.link;
  }
  return fail_msg(member_context(name) + ": too many levels of links");
}

Result<Digest> ArchiveMembers::digest(const std::string& name) const {
  const auto* m = BERTH_TRY(find(name));
  return m->blob ? *m->blob : m->content->digest();
}

Result<uint64_t> ArchiveMembers::size(const std::string& name) const {
  const auto* m = BERTH_TRY(find(name));
  if (m->content) return m->content->size();
  return store_->size(*m->blob);
}

Result<unique_fd> ArchiveMembers::open(const std::string& name) const {
  const auto* m = BERTH_TRY(find(name));
  auto fd = m->content ? m->content->open() : store_->open_blob(*m->blob);
  if (!fd) return fail(fd.error().wrap(member_context(name)));
  return fd;
}

Result<std::string> ArchiveMembers::read_small(const std::string& name, size_t max_size) const {
  const auto* m = BERTH_TRY(find(name));
  if (m->content) {
    auto data = m->content->read(max_size);
    if (!data) return fail(data.error().wrap(member_context(name)));
    return data;
  }
  auto data = store_->read(*m->blob, max_size);
  if (!data) return fail(data.error().wrap(member_context(name)));
  return data;
}

Status ArchiveMembers::commit(const std::string& name) const {
  const auto* m = BERTH_TRY(find(name));
  if (!m->content) return {};
  auto status = m->content->commit();
  if (!status) return fail(status.error().wrap(member_context(name)));
  return {};
}

}  // namespace berth::image
