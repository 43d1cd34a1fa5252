#include "image/image_db.hpp"

#include <string_view>

namespace berth::image::image_db {

namespace {

constexpr std::string_view kSchemaV1 = R"(
CREATE TABLE images (
  id TEXT PRIMARY KEY NOT NULL,
  manifest_digest TEXT NOT NULL,
  manifest_media_type TEXT NOT NULL,
  created TEXT NOT NULL,
  added_unix INTEGER NOT NULL,
  size INTEGER NOT NULL
) STRICT;
CREATE TABLE image_layers (
  image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  blob TEXT NOT NULL,
  diff_id TEXT NOT NULL,
  chain_id TEXT NOT NULL,
  PRIMARY KEY (image_id, position)
) STRICT;
CREATE INDEX image_layers_by_chain ON image_layers (chain_id);
CREATE TABLE image_names (
  name TEXT PRIMARY KEY NOT NULL,
  image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  is_digest INTEGER NOT NULL
) STRICT;
CREATE INDEX image_names_by_image ON image_names (image_id);
)";

Result<Digest> digest_column(const sqlite::Statement& st, int i, const std::string& what) {
  auto d = parse_digest(st.column_text(i));
  if (!d) return fail(d.error().wrap("image record: " + what));
  return d;
}

}  // namespace

Status migrate(sqlite::Db& db) {
  return db.migrate("images", {kSchemaV1});
}

Result<bool> insert_image(sqlite::Db& db, const ImageRecord& record,
                          const std::vector<LayerRow>& layers) {
  auto ins = BERTH_TRY(db.prepare(
      "INSERT INTO images (id, manifest_digest, manifest_media_type, created, added_unix, size) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING"));
  BERTH_CHECK(ins.bind(1, record.id.str()));
  BERTH_CHECK(ins.bind(2, record.manifest_digest.str()));
  BERTH_CHECK(ins.bind(3, record.manifest_media_type));
  BERTH_CHECK(ins.bind(4, record.created));
  BERTH_CHECK(ins.bind(5, record.added_unix));
  BERTH_CHECK(ins.bind(6, static_cast<int64_t>(record.size)));
  BERTH_CHECK(ins.step());
  if (db.changes() == 0) return false;
  auto layer =
      BERTH_TRY(db.prepare("INSERT INTO image_layers (image_id, position, blob, diff_id, chain_id) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)"));
  for (size_t i = 0; i < layers.size(); ++i) {
    layer.reset();
    BERTH_CHECK(layer.bind(1, record.id.str()));
    BERTH_CHECK(layer.bind(2, static_cast<int64_t>(i)));
    BERTH_CHECK(layer.bind(3, layers[i].blob.str()));
    BERTH_CHECK(layer.bind(4, layers[i].diff_id.str()));
    BERTH_CHECK(layer.bind(5, layers[i].chain_id.str()));
    BERTH_CHECK(layer.step());
  }
  return true;
}

Status delete_image(sqlite::Db& db, const Digest& id) {
  auto del = BERTH_TRY(db.prepare("DELETE FROM images WHERE id = ?1"));
  BERTH_CHECK(del.bind(1, id.str()));
  BERTH_CHECK(del.step());
  return {};
}

Result<std::optional<ImageRecord>> load(sqlite::Db& db, const Digest& id) {
  auto sel = BERTH_TRY(db.prepare(
      "SELECT manifest_digest, manifest_media_type, created, added_unix, size FROM images "
      "WHERE id = ?1"));
  BERTH_CHECK(sel.bind(1, id.str()));
  if (!BERTH_TRY(sel.step())) return std::nullopt;
  ImageRecord r;
  r.id = id;
  r.manifest_digest = BERTH_TRY(digest_column(sel, 0, id.str() + ": manifest digest"));
  r.manifest_media_type = sel.column_text(1);
  r.created = sel.column_text(2);
  r.added_unix = sel.column_int64(3);
  r.size = static_cast<uint64_t>(sel.column_int64(4));
  auto names = BERTH_TRY(
      db.prepare("SELECT name, is_digest FROM image_names WHERE image_id = ?1 ORDER BY name"));
  BERTH_CHECK(names.bind(1, id.str()));
  while (BERTH_TRY(names.step())) {
    if (names.column_int64(1) != 0)
      r.repo_digests.push_back(names.column_text(0));
    else
      r.repo_tags.push_back(names.column_text(0));
  }
  return r;
}

Result<std::vector<Digest>> ids(sqlite::Db& db) {
  // julianday() reads RFC 3339 with any fraction and offset; NULL (unparsable) sorts last.
  auto sel = BERTH_TRY(
      db.prepare("SELECT id FROM images ORDER BY julianday(created) DESC, added_unix DESC, id"));
  std::vector<Digest> out;
  while (BERTH_TRY(sel.step())) out.push_back(BERTH_TRY(digest_column(sel, 0, "id")));
  return out;
}

Result<std::vector<LayerRow>> layers(sqlite::Db& db, const Digest& id) {
  auto sel = BERTH_TRY(db.prepare(
      "SELECT blob, diff_id, chain_id FROM image_layers WHERE image_id = ?1 ORDER BY position"));
  BERTH_CHECK(sel.bind(1, id.str()));
  std::vector<LayerRow> out;
  while (BERTH_TRY(sel.step())) {
    LayerRow row;
    row.blob = BERTH_TRY(digest_column(sel, 0, id.str() + ": layer blob"));
    row.diff_id = BERTH_TRY(digest_column(sel, 1, id.str() + ": layer diff id"));
    row.chain_id = BERTH_TRY(digest_column(sel, 2, id.str() + ": layer chain id"));
    out.push_back(std::move(row));
  }
  return out;
}

Status set_name(sqlite::Db& db, const std::string& name, const Digest& id) {
  auto up = BERTH_TRY(
      db.prepare("INSERT INTO image_names (name, image_id, is_digest) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (name) DO UPDATE SET image_id = excluded.image_id"));
  BERTH_CHECK(up.bind(1, name));
  BERTH_CHECK(up.bind(2, id.str()));
  BERTH_CHECK(up.bind(3, int64_t{name.find('@') != std::string::npos ? 1 : 0}));
  BERTH_CHECK(up.step());
  return {};
}

Status delete_name(sqlite::Db& db, const std::string& name) {
  auto del = BERTH_TRY(db.prepare("DELETE FROM image_names WHERE name = ?1"));
  BERTH_CHECK(del.bind(1, name));
  BERTH_CHECK(del.step());
  return {};
}

Result<std::optional<Digest>> id_by_name(sqlite::Db& db, const std::string& name) {
  auto sel = BERTH_TRY(db.prepare("SELECT image_id FROM image_names WHERE name = ?1"));
  BERTH_CHECK(sel.bind(1, name));
  if (!BERTH_TRY(sel.step())) return std::nullopt;
  return BERTH_TRY(digest_column(sel, 0, "name " + quote(name)));
}

Result<std::vector<Digest>> ids_by_prefix(sqlite::Db& db, const std::string& hex_prefix,
                                          int limit) {
  auto sel = BERTH_TRY(db.prepare(
      "SELECT id FROM images WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT ?2"));
  BERTH_CHECK(sel.bind(1, "sha256:" + hex_prefix));
  BERTH_CHECK(sel.bind(2, int64_t{limit}));
  std::vector<Digest> out;
  while (BERTH_TRY(sel.step())) out.push_back(BERTH_TRY(digest_column(sel, 0, "id")));
  return out;
}

Result<std::optional<Match>> resolve(sqlite::Db& db, std::string_view name_or_id) {
  std::string text(name_or_id);
  if (text.empty()) return std::nullopt;
  if (auto id = BERTH_TRY(id_by_name(db, text))) return Match{*id, true};
  std::string hex = text.starts_with("sha256:") ? text.substr(7) : text;
  if (hex.size() < 4 || hex.size() > 64 ||
      hex.find_first_not_of("0123456789abcdef") != std::string::npos)
    return std::nullopt;
  auto found = BERTH_TRY(ids_by_prefix(db, hex, 2));
  if (found.empty()) return std::nullopt;
  if (found.size() > 1)
    return fail_msg("image id prefix " + quote(text) +
                    " is ambiguous: more than one image matches");
  return Match{found.front(), false};
}

Result<References> references(sqlite::Db& db) {
  References refs;
  auto images = BERTH_TRY(db.prepare("SELECT id, manifest_digest FROM images"));
  while (BERTH_TRY(images.step())) {
    refs.blobs.insert(images.column_text(0));
    refs.blobs.insert(images.column_text(1));
  }
  auto layers = BERTH_TRY(db.prepare("SELECT blob, chain_id FROM image_layers"));
  while (BERTH_TRY(layers.step())) {
    refs.blobs.insert(layers.column_text(0));
    refs.chain_ids.insert(layers.column_text(1));
  }
  auto names = BERTH_TRY(db.prepare("SELECT name FROM image_names WHERE is_digest = 1"));
  while (BERTH_TRY(names.step())) {
    std::string name = names.column_text(0);
    refs.blobs.insert(name.substr(name.find('@') + 1));
  }
  return refs;
}

Result<std::vector<std::string>> quick_check(sqlite::Db& db) {
  auto sel = BERTH_TRY(db.prepare("PRAGMA quick_check"));
  std::vector<std::string> out;
  while (BERTH_TRY(sel.step())) {
    std::string line = sel.column_text(0);
    if (line != "ok") out.push_back("database " + quote(db.path()) + ": " + line);
  }
  return out;
}

}  // namespace berth::image::image_db
