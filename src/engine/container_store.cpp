#include "engine/container_store.hpp"

#include "base/fs.hpp"
#include "engine/container_names.hpp"

namespace berth::engine {
namespace {

using json = nlohmann::json;

constexpr std::string_view kSchemaV1 = R"(
CREATE TABLE containers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  image TEXT NOT NULL,
  image_id TEXT NOT NULL,
  created TEXT NOT NULL,
  config TEXT NOT NULL,
  host_config TEXT NOT NULL,
  state TEXT NOT NULL
);
CREATE INDEX containers_image_id ON containers (image_id);
)";

constexpr std::string_view kColumns =
    "id, name, image, image_id, created, config, host_config, state";

Result<json> parse_column(const sqlite::Statement& s, int i, const std::string& what) {
  try {
    return json::parse(s.column_text(i));
  } catch (const json::exception& e) {
    return fail_msg("container " + s.column_text(0) + ": " + what +
                    " in the database: " + e.what());
  }
}

Result<ContainerRecord> read_row(const sqlite::Statement& s) {
  ContainerRecord r;
  r.id = s.column_text(0);
  r.name = s.column_text(1);
  r.image = s.column_text(2);
  r.image_id = s.column_text(3);
  r.created = s.column_text(4);
  r.config = BERTH_TRY(parse_column(s, 5, "config"));
  r.host_config = BERTH_TRY(parse_column(s, 6, "host config"));
  r.state = BERTH_TRY(parse_column(s, 7, "state"));
  return r;
}

bool is_hex(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

Result<ContainerStore> ContainerStore::open(const std::string& data_root) {
  BERTH_CHECK(fs::mkdir_p(data_root, 0700));
  auto db = BERTH_TRY(sqlite::Db::open(fs::join(data_root, "berth.db")));
  BERTH_CHECK(db.migrate("containers", {kSchemaV1}));
  return ContainerStore(std::move(db));
}

Result<std::optional<std::string>> ContainerStore::holder_of(const std::string& name) {
  auto q = BERTH_TRY(db_.prepare("SELECT id FROM containers WHERE name = ?1"));
  BERTH_CHECK(q.bind(1, name));
  if (!BERTH_TRY(q.step())) return std::optional<std::string>();
  return std::optional<std::string>(q.column_text(0));
}

Result<bool> ContainerStore::image_in_use(const std::string& data_root,
                                          const std::string& image_id) {
  auto db = BERTH_TRY(sqlite::Db::open(fs::join(data_root, "berth.db")));
  auto table = BERTH_TRY(
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'containers'"));
  if (!BERTH_TRY(table.step())) return false;
  auto q = BERTH_TRY(db.prepare("SELECT 1 FROM containers WHERE image_id = ? LIMIT 1"));
  BERTH_CHECK(q.bind(1, image_id));
  return q.step();
}

Result<ContainerRecord> ContainerStore::create(ContainerRecord record) {
  if (!record.name.empty()) record.name = BERTH_TRY(check_container_name(record.name));
  auto tx = BERTH_TRY(sqlite::Transaction::begin(db_));
  if (record.name.empty()) {
    // Forty adjectives and forty nouns: after a few tries, a digit makes the name unique.
    for (int attempt = 0; record.name.empty(); ++attempt) {
      std::string candidate = random_container_name();
      if (attempt >= 5) candidate += std::to_string(attempt);
      if (!BERTH_TRY(holder_of(candidate))) record.name = candidate;
    }
  } else if (auto holder = BERTH_TRY(holder_of(record.name))) {
    return fail_msg("Conflict. The container name \"/" + record.name +
                    "\" is already in use by container \"" + *holder +
                    "\". You have to remove (or rename) that container to be able to reuse that "
                    "name.");
  }
  auto ins = BERTH_TRY(db_.prepare("INSERT INTO containers (" + std::string(kColumns) +
                                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  BERTH_CHECK(ins.bind(1, record.id));
  BERTH_CHECK(ins.bind(2, record.name));
  BERTH_CHECK(ins.bind(3, record.image));
  BERTH_CHECK(ins.bind(4, record.image_id));
  BERTH_CHECK(ins.bind(5, record.created));
  BERTH_CHECK(ins.bind(6, record.config.dump()));
  BERTH_CHECK(ins.bind(7, record.host_config.dump()));
  BERTH_CHECK(ins.bind(8, record.state.dump()));
  (void)BERTH_TRY(ins.step());
  BERTH_CHECK(tx.commit());
  return record;
}

Result<std::optional<ContainerRecord>> ContainerStore::find(std::string_view id_or_name) {
  std::string key(id_or_name.starts_with('/') ? id_or_name.substr(1) : id_or_name);
  if (key.empty()) return std::optional<ContainerRecord>();
  // Docker's order: a full id, then a name, then an id prefix.
  for (const char* where : {"id = ?1", "name = ?1"}) {
    auto q = BERTH_TRY(
        db_.prepare("SELECT " + std::string(kColumns) + " FROM containers WHERE " + where));
    BERTH_CHECK(q.bind(1, key));
    if (BERTH_TRY(q.step())) return std::optional<ContainerRecord>(BERTH_TRY(read_row(q)));
  }
  if (!is_hex(key)) return std::optional<ContainerRecord>();
  auto q = BERTH_TRY(db_.prepare("SELECT " + std::string(kColumns) +
                                 " FROM containers WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2"));
  BERTH_CHECK(q.bind(1, key));
  if (!BERTH_TRY(q.step())) return std::optional<ContainerRecord>();
  ContainerRecord found = BERTH_TRY(read_row(q));
  if (BERTH_TRY(q.step()))
    return fail_msg("multiple containers match the prefix " + key + ": give more of the id");
  return std::optional<ContainerRecord>(std::move(found));
}

Result<ContainerRecord> ContainerStore::get(std::string_view id_or_name) {
  auto found = BERTH_TRY(find(id_or_name));
  if (!found) return fail_msg("No such container: " + std::string(id_or_name));
  return std::move(*found);
}

Result<std::vector<ContainerRecord>> ContainerStore::list() {
  auto q = BERTH_TRY(db_.prepare("SELECT " + std::string(kColumns) +
                                 " FROM containers ORDER BY created DESC, rowid DESC"));
  std::vector<ContainerRecord> out;
  while (BERTH_TRY(q.step())) out.push_back(BERTH_TRY(read_row(q)));
  return out;
}

Status ContainerStore::set_state(const std::string& id, const json& state) {
  auto q = BERTH_TRY(db_.prepare("UPDATE containers SET state = ?2 WHERE id = ?1"));
  BERTH_CHECK(q.bind(1, id));
  BERTH_CHECK(q.bind(2, state.dump()));
  (void)BERTH_TRY(q.step());
  if (db_.changes() == 0) return fail_msg("No such container: " + id);
  return {};
}

Status ContainerStore::rename(const std::string& id, std::string_view new_name) {
  std::string name = BERTH_TRY(check_container_name(new_name));
  auto tx = BERTH_TRY(sqlite::Transaction::begin(db_));
  if (auto holder = BERTH_TRY(holder_of(name)); holder && *holder != id)
    return fail_msg("Error when allocating new name: Conflict. The container name \"/" + name +
                    "\" is already in use by container \"" + *holder + "\"");
  auto q = BERTH_TRY(db_.prepare("UPDATE containers SET name = ?2 WHERE id = ?1"));
  BERTH_CHECK(q.bind(1, id));
  BERTH_CHECK(q.bind(2, name));
  (void)BERTH_TRY(q.step());
  if (db_.changes() == 0) return fail_msg("No such container: " + id);
  return tx.commit();
}

Status ContainerStore::remove(const std::string& id) {
  auto q = BERTH_TRY(db_.prepare("DELETE FROM containers WHERE id = ?1"));
  BERTH_CHECK(q.bind(1, id));
  (void)BERTH_TRY(q.step());
  if (db_.changes() == 0) return fail_msg("No such container: " + id);
  return {};
}

}  // namespace berth::engine
