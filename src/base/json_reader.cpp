#include "base/json_reader.hpp"

namespace berth {

Error JsonReader::error(const std::string& key, const std::string& what) const {
  return plain_error(field_path(key) + ": " + what);
}

Status JsonReader::expect_object() const {
  if (!j_.is_object())
    return fail_msg((path_.empty() ? "document" : path_) + ": must be an object");
  return {};
}

Result<JsonReader> JsonReader::object(const std::string& key) const {
  if (!has(key)) return fail(error(key, "missing"));
  const auto& v = j_[key];
  if (!v.is_object()) return fail(error(key, "must be an object"));
  return JsonReader(v, field_path(key));
}

std::optional<JsonReader> JsonReader::optional_object(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return JsonReader(j_[key], field_path(key));
}

Result<std::vector<JsonReader>> JsonReader::array(const std::string& key) const {
  std::vector<JsonReader> out;
  if (!has(key)) return out;
  const auto& v = j_[key];
  if (!v.is_array()) return fail(error(key, "must be an array"));
  for (size_t i = 0; i < v.size(); ++i)
    out.emplace_back(v[i], field_path(key) + "[" + std::to_string(i) + "]");
  return out;
}

Result<std::string> JsonReader::string(const std::string& key, std::string fallback) const {
  if (!has(key)) return fallback;
  const auto& v = j_[key];
  if (!v.is_string()) return fail(error(key, "must be a string"));
  return v.get<std::string>();
}

Result<std::string> JsonReader::required_string(const std::string& key) const {
  if (!has(key)) return fail(error(key, "missing"));
  return string(key);
}

Result<bool> JsonReader::boolean(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const auto& v = j_[key];
  if (!v.is_boolean()) return fail(error(key, "must be true or false"));
  return v.get<bool>();
}

Result<std::optional<bool>> JsonReader::optional_boolean(const std::string& key) const {
  if (!has(key)) return std::optional<bool>{};
  return std::optional<bool>(BERTH_TRY(boolean(key)));
}

Result<std::optional<int64_t>> JsonReader::optional_int(const std::string& key) const {
  if (!has(key)) return std::optional<int64_t>{};
  const auto& v = j_[key];
  if (v.is_number_integer()) return std::optional<int64_t>(v.get<int64_t>());
  if (v.is_number_unsigned() && v.get<uint64_t>() <= INT64_MAX)
    return std::optional<int64_t>(static_cast<int64_t>(v.get<uint64_t>()));
  return fail(error(key, "must be an integer"));
}

Result<std::optional<uint64_t>> JsonReader::optional_uint(const std::string& key) const {
  if (!has(key)) return std::optional<uint64_t>{};
  const auto& v = j_[key];
  if (v.is_number_unsigned()) return std::optional<uint64_t>(v.get<uint64_t>());
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return std::optional<uint64_t>(static_cast<uint64_t>(v.get<int64_t>()));
  return fail(error(key, "must be a non-negative integer"));
}

Result<std::vector<std::string>> JsonReader::strings(const std::string& key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  const auto& v = j_[key];
  if (!v.is_array()) return fail(error(key, "must be an array of strings"));
  for (const auto& e : v) {
    if (!e.is_string()) return fail(error(key, "must be an array of strings"));
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<std::map<std::string, std::string>> JsonReader::string_map(const std::string& key) const {
  std::map<std::string, std::string> out;
  if (!has(key)) return out;
  const auto& v = j_[key];
  if (!v.is_object()) return fail(error(key, "must be an object of strings"));
  for (const auto& [k, e] : v.items()) {
    if (!e.is_string()) return fail(error(key + "." + k, "must be a string"));
    out[k] = e.get<std::string>();
  }
  return out;
}

Result<std::vector<std::string>> JsonReader::object_keys(const std::string& key) const {
  std::vector<std::string> keys;
  if (!has(key)) return keys;
  const auto& v = j_[key];
  if (!v.is_object()) return fail(error(key, "must be an object"));
  for (const auto& [k, _] : v.items()) keys.push_back(k);
  return keys;
}

}  // namespace berth
