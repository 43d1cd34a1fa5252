#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/sqlite.hpp"
#include "image/content_store.hpp"
#include "image/digest.hpp"
#include "image/image_record.hpp"
#include "image/layer_store.hpp"
#include "image/store_lease.hpp"

namespace berth::image {

struct StoreOptions {
  bool rootless = false;  // unpack without chown and with user.overlay.* whiteouts (UnpackOptions)
  // Rootless, as root of a user namespace holding the user's subordinate ranges: ownership is
  // kept, as that namespace sees it.
  bool in_user_namespace = false;
};
struct RemovedImage {
  std::vector<std::string> untagged;
  std::vector<Digest> deleted;
  uint64_t space_reclaimed = 0;  // prune: what its gc() freed
  // rmi: why its gc() failed; the deletion stands, and a later gc or prune frees the files.
  std::string gc_error;
};
struct StoreCheck {
  std::vector<std::string> problems;
  std::vector<std::string> leftovers;
};
struct GcReport {
  uint64_t blobs_removed = 0, layers_removed = 0, bytes_freed = 0;
};
// Called while add() unpacks: event "Extracting" / "Pull complete" / "Already exists" for layer
// short id.
using LayerEvent = std::function<void(const std::string& short_id, const std::string& event)>;

// The images of a data root: records and names in <data>/berth.db, blobs in <data>/content,
// unpacked layers in <data>/layers. Safe to share between threads of one process; several
// processes may use one data root at once.
class ImageStore {
 public:
  static Result<ImageStore> open(const std::string& data_root, const StoreOptions& options);
  const ContentStore& content() const;
  LayerStore& layers();
  // Takes a shared lock that gc() waits for: hold it from the first blob written to add().
  Result<StoreLease> lease() const;
  // The manifest, its config and its layers must be in the content store. Unpacks the layers that
  // are missing (by chain id, in order), then records the image and moves the given names (full
  // names) to it, in one transaction. Adding an image that exists only adds names.
  Result<ImageRecord> add(const Digest& manifest_digest, const std::vector<std::string>& repo_tags,
                          const std::vector<std::string>& repo_digests,
                          const LayerEvent& on_layer = {});
  // By full name ("docker.io/library/busybox:latest", or NAME@sha256:...), by id ("sha256:<hex>"),
  // by hex, or by a unique hex prefix of at least 4 characters (ambiguous prefix: an error).
  Result<std::optional<ImageRecord>> find(std::string_view full_name_or_id) const;
  Result<std::vector<ImageRecord>> list() const;  // newest first
  Status tag(const Digest& id,
             const std::string& full_name);  // moves the tag if another image had it
  // Docker's rmi: a name untags (and deletes the image when it was its last name); an id deletes,
  // refused when the image has several repositories unless force. A deletion then frees the blobs
  // and layers no image needs any more (gc()), unless a pull holds the store at that moment: a
  // later rmi or prune frees them. in_use(id) (set by the engine later) refuses unless force.
  // Forced, an image in use loses its names but keeps its record, so that gc() keeps its layers.
  Result<RemovedImage> remove(std::string_view full_name_or_id, bool force);
  // Images without tags ("dangling"), or all images when all=true; then gc().
  // Images in use are kept.
  Result<RemovedImage> prune(bool all);
  // Removes blobs and layers no image references (index blobs of a recorded image count as
  // referenced), and leftover ingest files / half-unpacked layer dirs older than the current
  // process's start when no lease is held. Takes the exclusive lock. Layers that a snapshot stands
  // on are kept.
  Result<GcReport> gc();
  // gc() unless a lease is held now (nullopt): it does not wait.
  Result<std::optional<GcReport>> try_gc();
  // problems: one line per inconsistency: a record whose manifest/config/layer blob is missing or
  // corrupt, a layer dir missing for a recorded image, a blob that is not what its name says
  // (ContentStore::check). Empty = consistent.
  // leftovers: what an interrupted download, unpack or snapshot left (not held by a live process).
  // They are no inconsistency: a download resumes from its ingest file, and gc removes the rest.
  Result<StoreCheck> check() const;
  // Called with the store's lock held: it must not call back into the store.
  std::function<bool(const Digest&)> in_use;

  // Layer chain ids of a recorded image, lowest first (for Snapshotter::prepare).
  Result<std::vector<Digest>> chain_ids(const Digest& id) const;
  const std::string& data_root() const { return data_root_; }

 private:
  Result<RemovedImage> remove_record(std::string_view full_name_or_id, bool force);
  Result<GcReport> gc_locked();
  ImageStore(std::string data_root, StoreOptions options, ContentStore content, LayerStore layers,
             sqlite::Db db)
      : data_root_(std::move(data_root)),
        options_(options),
        content_(std::move(content)),
        layers_(std::move(layers)),
        db_(std::move(db)),
        mu_(std::make_unique<std::mutex>()) {}

  std::string data_root_;
  StoreOptions options_;
  ContentStore content_;
  LayerStore layers_;
  mutable sqlite::Db db_;
  std::unique_ptr<std::mutex> mu_;  // one user of db_ at a time
};

}  // namespace berth::image
