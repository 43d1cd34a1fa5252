#include <algorithm>
#include <set>

#include "image/image_db.hpp"
#include "image/image_store.hpp"

namespace berth::image {

namespace {

// "host:5000/ns/name:tag" -> "host:5000/ns/name"; "name@sha256:..." -> "name".
std::string repository_of(const std::string& name) {
  if (auto at = name.find('@'); at != std::string::npos) return name.substr(0, at);
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    return name.substr(0, colon);
  return name;
}

// Docker's rule for an rmi by id: the image's names are one repository's, with at most one tag.
bool single_reference(const std::vector<std::string>& tags,
                      const std::vector<std::string>& digests) {
  if (tags.size() + digests.size() <= 1) return tags.size() + digests.size() == 1;
  if (tags.size() > 1) return false;
  std::set<std::string> repos;
  for (const auto& d : digests) repos.insert(repository_of(d));
  return repos.size() == 1 && (tags.empty() || repos.contains(repository_of(tags.front())));
}

std::string short_id(const Digest& id) {
  return id.hex.substr(0, 12);
}

void erase(std::vector<std::string>& names, const std::string& name) {
  names.erase(std::remove(names.begin(), names.end(), name), names.end());
}

}  // namespace

Result<RemovedImage> ImageStore::remove(std::string_view full_name_or_id, bool force) {
  RemovedImage out = BERTH_TRY(remove_record(full_name_or_id, force));
  if (!out.deleted.empty()) {
    auto report = try_gc();
    if (!report)
      out.gc_error = report.error().what();
    else if (*report)
      out.space_reclaimed = (*report)->bytes_freed;
  }
  return out;
}

Result<RemovedImage> ImageStore::remove_record(std::string_view full_name_or_id, bool force) {
  const std::string arg(full_name_or_id);
  std::lock_guard lock(*mu_);
  auto txn = BERTH_TRY(sqlite::Transaction::begin(db_));
  auto match = BERTH_TRY(image_db::resolve(db_, arg));
  if (!match) return fail_msg("No such image: " + arg);
  auto record = BERTH_TRY(image_db::load(db_, match->id));
  if (!record) return fail_msg("No such image: " + arg);
  const Digest id = record->id;
  const bool used = in_use && in_use(id);
  auto tags = record->repo_tags;
  auto digests = record->repo_digests;
  RemovedImage out;
  auto untag = [&](const std::string& name) -> Status {
    BERTH_CHECK(image_db::delete_name(db_, name));
    out.untagged.push_back(name);
    erase(tags, name);
    erase(digests, name);
    return {};
  };
  auto untag_all = [&]() -> Status {
    for (const auto& name : std::vector<std::string>(tags)) BERTH_CHECK(untag(name));
    for (const auto& name : std::vector<std::string>(digests)) BERTH_CHECK(untag(name));
    return {};
  };
  const std::string in_use_conflict = "conflict: unable to delete " + short_id(id) +
                                      " (must be forced) - image is being used by a container";

  if (match->by_name) {
    if (!force && used && single_reference(tags, digests))
      return fail_msg("conflict: unable to remove repository reference " + quote(arg) +
                      " (must force) - container is using its referenced image " + short_id(id));
    BERTH_CHECK(untag(arg));
    // A tag's repository keeps no digest names once its last tag is gone.
    if (arg.find('@') == std::string::npos) {
      const auto repo = repository_of(arg);
      bool tagged = std::any_of(tags.begin(), tags.end(),
                                [&](const auto& t) { return repository_of(t) == repo; });
      if (!tagged)
        for (const auto& d : std::vector<std::string>(digests))
          if (repository_of(d) == repo) BERTH_CHECK(untag(d));
    }
    // Other names keep the image; an image in use stays as a dangling one.
    if (!tags.empty() || !digests.empty() || used) {
      BERTH_CHECK(txn.commit());
      return out;
    }
  } else {
    if (single_reference(tags, digests)) {
      if (used && !force) return fail_msg(in_use_conflict);
      BERTH_CHECK(untag_all());
    } else if (!force && (!tags.empty() || !digests.empty())) {
      return fail_msg("conflict: unable to delete " + short_id(id) +
                      " (must be forced) - image is referenced in multiple repositories");
    }
    if (used && !force) return fail_msg(in_use_conflict);
    BERTH_CHECK(untag_all());
    if (used) {
      BERTH_CHECK(txn.commit());
      return out;
    }
  }
  BERTH_CHECK(image_db::delete_image(db_, id));
  out.deleted.push_back(id);
  BERTH_CHECK(txn.commit());
  return out;
}

Result<RemovedImage> ImageStore::prune(bool all) {
  RemovedImage out;
  {
    std::lock_guard lock(*mu_);
    auto txn = BERTH_TRY(sqlite::Transaction::begin(db_));
    for (const auto& id : BERTH_TRY(image_db::ids(db_))) {
      auto record = BERTH_TRY(image_db::load(db_, id));
      if (!record || (!all && !record->repo_tags.empty())) continue;
      if (in_use && in_use(id)) continue;
      for (const auto& name : record->repo_tags) {
        BERTH_CHECK(image_db::delete_name(db_, name));
        out.untagged.push_back(name);
      }
      for (const auto& name : record->repo_digests) {
        BERTH_CHECK(image_db::delete_name(db_, name));
        out.untagged.push_back(name);
      }
      BERTH_CHECK(image_db::delete_image(db_, id));
      out.deleted.push_back(id);
    }
    BERTH_CHECK(txn.commit());
  }
  auto report = BERTH_TRY(gc());
  out.space_reclaimed = report.bytes_freed;
  return out;
}

}  // namespace berth::image
