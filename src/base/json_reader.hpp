#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace berth {

// Reads typed fields out of a JSON object and names the offending field on failure:
// `process.args: must be an array of strings`.
class JsonReader {
 public:
  JsonReader(const nlohmann::json& j, std::string path) : j_(j), path_(std::move(path)) {}

  const nlohmann::json& json() const { return j_; }
  const std::string& path() const { return path_; }
  std::string field_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  bool has(const std::string& key) const {
    return j_.is_object() && j_.contains(key) && !j_[key].is_null();
  }

  Status expect_object() const;
  Result<JsonReader> object(const std::string& key) const;  // error when missing
  std::optional<JsonReader> optional_object(
      const std::string& key) const;                                    // may still be a type error
  Result<std::vector<JsonReader>> array(const std::string& key) const;  // empty when missing

  Result<std::string> string(const std::string& key, std::string fallback = {}) const;
  Result<std::string> required_string(const std::string& key) const;
  Result<bool> boolean(const std::string& key, bool fallback = false) const;
  Result<std::optional<bool>> optional_boolean(const std::string& key) const;
  Result<std::optional<int64_t>> optional_int(const std::string& key) const;
  Result<std::optional<uint64_t>> optional_uint(const std::string& key) const;
  Result<std::vector<std::string>> strings(const std::string& key) const;
  Result<std::map<std::string, std::string>> string_map(const std::string& key) const;
  // The keys of an object whose values do not matter (Docker's ExposedPorts, Volumes: {"80/tcp":
  // {}}); empty when missing.
  Result<std::vector<std::string>> object_keys(const std::string& key) const;

  Error error(const std::string& key, const std::string& what) const;

 private:
  const nlohmann::json& j_;
  std::string path_;
};

}  // namespace berth
