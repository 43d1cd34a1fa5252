#include "image/descriptor.hpp"

namespace berth::image {

Result<Descriptor> parse_descriptor(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  Descriptor d;
  d.media_type = BERTH_TRY(r.required_string("mediaType"));
  auto digest = parse_digest(BERTH_TRY(r.required_string("digest")));
  if (!digest) return fail(digest.error().wrap(r.field_path("digest")));
  d.digest = *digest;
  auto size = BERTH_TRY(r.optional_int("size"));
  if (!size) return fail(r.error("size", "missing"));
  if (*size < 0) return fail(r.error("size", "must not be negative, got " + std::to_string(*size)));
  d.size = *size;
  d.urls = BERTH_TRY(r.strings("urls"));
  d.annotations = BERTH_TRY(r.string_map("annotations"));
  if (auto p = r.optional_object("platform")) d.platform = BERTH_TRY(parse_platform(*p));
  return d;
}

}  // namespace berth::image
