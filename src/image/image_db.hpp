#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/sqlite.hpp"
#include "image/digest.hpp"
#include "image/image_record.hpp"

// The image tables of berth.db: records, their layers and their names.
namespace berth::image::image_db {

struct LayerRow {
  Digest blob;
  Digest diff_id;
  Digest chain_id;
};

Status migrate(sqlite::Db& db);

// Inserts the image and its layers unless it is recorded; true when it was new.
Result<bool> insert_image(sqlite::Db& db, const ImageRecord& record,
                          const std::vector<LayerRow>& layers);
Status delete_image(sqlite::Db& db, const Digest& id);
Result<std::optional<ImageRecord>> load(sqlite::Db& db, const Digest& id);
// All ids, newest (by the config's created, then by when added) first.
Result<std::vector<Digest>> ids(sqlite::Db& db);
Result<std::vector<LayerRow>> layers(sqlite::Db& db, const Digest& id);

// Points name at id, taking it from the image that had it.
Status set_name(sqlite::Db& db, const std::string& name, const Digest& id);
Status delete_name(sqlite::Db& db, const std::string& name);
Result<std::optional<Digest>> id_by_name(sqlite::Db& db, const std::string& name);
// Ids starting with sha256:<hex_prefix>, at most limit of them.
Result<std::vector<Digest>> ids_by_prefix(sqlite::Db& db, const std::string& hex_prefix, int limit);

// find()'s rules: a full name, else an id ("sha256:<hex>" or hex), else a unique hex prefix of at
// least 4 characters (with or without "sha256:"). An ambiguous prefix is an error.
struct Match {
  Digest id;
  bool by_name = false;
};
Result<std::optional<Match>> resolve(sqlite::Db& db, std::string_view name_or_id);

// What recorded images hold: blobs (manifests, configs, layers, and the manifests or indexes
// their repo digests name) and layer chain ids, as digest strings.
struct References {
  std::set<std::string> blobs;
  std::set<std::string> chain_ids;
};
Result<References> references(sqlite::Db& db);

// "PRAGMA quick_check" lines other than "ok".
Result<std::vector<std::string>> quick_check(sqlite::Db& db);

}  // namespace berth::image::image_db
