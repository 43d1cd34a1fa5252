#include "image/manifest.hpp"

#include "base/json_reader.hpp"
#include "base/json_text.hpp"
#include "image/media_types.hpp"

namespace berth::image {

namespace {

enum class Kind { unknown, manifest, index, schema1 };

Kind kind_of_type(std::string_view type) {
  if (media_type::is_manifest(type)) return Kind::manifest;
  if (media_type::is_index(type)) return Kind::index;
  if (media_type::is_schema1(type)) return Kind::schema1;
  return Kind::unknown;
}

std::string_view strip_parameters(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && (content_type.back() == ' ' || content_type.back() == '\t'))
    content_type.remove_suffix(1);
  while (!content_type.empty() && (content_type.front() == ' ' || content_type.front() == '\t'))
    content_type.remove_prefix(1);
  return content_type;
}

Result<Kind> decide_kind(const JsonReader& r, std::string_view hint, std::string& media_type) {
  media_type = BERTH_TRY(r.string("mediaType"));
  if (!media_type.empty()) {
    auto kind = kind_of_type(media_type);
    if (kind == Kind::unknown)
      return fail(r.error("mediaType", "unsupported manifest media type " + quote(media_type)));
    return kind;
  }
  if (r.has("schemaVersion") && r.json()["schemaVersion"] == 1) return Kind::schema1;
  auto hinted = kind_of_type(hint);
  if (hinted != Kind::unknown) {
    media_type = hint;
    return hinted;
  }
  if (r.has("manifests")) return Kind::index;
  if (r.has("layers") || r.has("config")) return Kind::manifest;
  return fail_msg(
      "manifest: neither an image manifest (no \"layers\") nor an index (no "
      "\"manifests\"), and no mediaType");
}

Status check_schema_version(const JsonReader& r) {
  auto version = BERTH_TRY(r.optional_int("schemaVersion"));
  if (!version) return fail(r.error("schemaVersion", "missing"));
  if (*version != 2)
    return fail(r.error("schemaVersion", "must be 2, got " + std::to_string(*version)));
  return {};
}

Result<Manifest> parse_image_manifest(const JsonReader& r, std::string media_type) {
  if (r.has("manifests"))
    return fail(r.error("manifests", "not allowed in an image manifest (is it an index?)"));
  Manifest m;
  m.media_type = std::move(media_type);
  m.config = BERTH_TRY(parse_descriptor(BERTH_TRY(r.object("config"))));
  if (!media_type::is_config(m.config.media_type))
    return fail(r.error("config.mediaType", "unsupported config media type " +
                                                quote(m.config.media_type) +
                                                " (not a container image)"));
  if (!r.has("layers")) return fail(r.error("layers", "missing"));
  for (const auto& l : BERTH_TRY(r.array("layers"))) {
    auto layer = BERTH_TRY(parse_descriptor(l));
    if (!media_type::is_layer(layer.media_type))
      return fail(l.error("mediaType", "unsupported layer media type " + quote(layer.media_type)));
    m.layers.push_back(std::move(layer));
  }
  m.annotations = BERTH_TRY(r.string_map("annotations"));
  return m;
}

Result<Index> parse_index(const JsonReader& r, std::string media_type) {
  for (const char* key : {"config", "layers"})
    if (r.has(key)) return fail(r.error(key, "not allowed in an index (is it a manifest?)"));
  if (!r.has("manifests")) return fail(r.error("manifests", "missing"));
  Index idx;
  idx.media_type = std::move(media_type);
  for (const auto& e : BERTH_TRY(r.array("manifests")))
    idx.manifests.push_back(BERTH_TRY(parse_descriptor(e)));
  idx.annotations = BERTH_TRY(r.string_map("annotations"));
  return idx;
}

}  // namespace

Result<ManifestDocument> parse_manifest(std::string_view bytes,
                                        std::string_view content_type_hint) {
  if (bytes.size() > kMaxManifestSize)
    return fail_msg("manifest is " + std::to_string(bytes.size()) + " bytes, more than the " +
                    std::to_string(kMaxManifestSize) + " allowed");
  auto j = BERTH_TRY(parse_json_text(bytes, "manifest"));
  JsonReader r(j, "manifest");
  BERTH_CHECK(r.expect_object());
  std::string type;
  auto kind = BERTH_TRY(decide_kind(r, strip_parameters(content_type_hint), type));
  if (kind == Kind::schema1)
    return fail_msg(
        "Docker schema1 manifests are not supported: push the image again with a current client");
  BERTH_CHECK(check_schema_version(r));
  if (kind == Kind::index) return BERTH_TRY(parse_index(r, std::move(type)));
  return BERTH_TRY(parse_image_manifest(r, std::move(type)));
}

}  // namespace berth::image
