#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "base/sqlite.hpp"

namespace berth::engine {

// One container as the store keeps it: the create request and the last known state, both in the
// Engine API's shapes (Config, HostConfig, State), as JSON.
struct ContainerRecord {
  std::string id;        // 64 hex
  std::string name;      // without Docker's leading '/'
  std::string image;     // as the user named it
  std::string image_id;  // sha256:...
  std::string created;   // RFC 3339 with nanoseconds
  nlohmann::json config = nlohmann::json::object();
  nlohmann::json host_config = nlohmann::json::object();
  nlohmann::json state = nlohmann::json::object();
};

// Containers in <data>/berth.db (the image store's database, a table of their own). Every change
// is one transaction, so a process killed at any point leaves either the old or the new record.
class ContainerStore {
 public:
  static Result<ContainerStore> open(const std::string& data_root);
  // Whether a container was made from the image: a read only, so that it can run while the image
  // store holds its write lock on the same database (before any container exists: false).
  static Result<bool> image_in_use(const std::string& data_root, const std::string& image_id);

  // Inserts record; an empty name gets a generated one that no container has. A name in use is
  // Docker's conflict error. Returns the record as stored.
  Result<ContainerRecord> create(ContainerRecord record);
  // By full id, unique id prefix, or name ("/name" too). Missing: nullopt; ambiguous: an error.
  Result<std::optional<ContainerRecord>> find(std::string_view id_or_name);
  Result<ContainerRecord> get(std::string_view id_or_name);  // missing: "No such container: X"
  Result<std::vector<ContainerRecord>> list();               // newest first
  Status set_state(const std::string& id, const nlohmann::json& state);
  Status rename(const std::string& id, std::string_view new_name);
  Status remove(const std::string& id);

 private:
  explicit ContainerStore(sqlite::Db db) : db_(std::move(db)) {}
  Result<std::optional<std::string>> holder_of(const std::string& name);
  sqlite::Db db_;
};

}  // namespace berth::engine
