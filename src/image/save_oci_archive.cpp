#include <set>

#include <nlohmann/json.hpp>

#include "base/syscalls.hpp"
#include "image/archive_savers.hpp"
#include "image/media_types.hpp"
#include "image/reference.hpp"

namespace berth::image {

namespace {

constexpr size_t kCopyBlock = 1 << 20;

bool may_be_absent(std::string_view type) {
  return type == media_type::kOciLayerNondistributable ||
         type == media_type::kOciLayerNondistributableGzip ||
         type == media_type::kOciLayerNondistributableZstd ||
         type == media_type::kDockerForeignLayer;
}

class BlobsOut {
 public:
  BlobsOut(const ContentStore& store, TarOutput& tar) : store_(store), tar_(tar) {}

  // Copies the blob from the store once, checking its digest on the way.
  Status add(const Digest& d) {
    if (!written_.insert(d.hex).second) return {};
    auto fd = BERTH_TRY(store_.open_blob(d));
    const uint64_t size = BERTH_TRY(store_.size(d));
    Sha256 hash;
    BERTH_CHECK(
        tar_.add_stream("blobs/sha256/" + d.hex, size, [&](const TarOutput::Sink& sink) -> Status {
          std::string buf(kCopyBlock, '\0');
          for (uint64_t left = size; left > 0;) {
            auto n = sys::read_some(fd.get(), buf.data(), std::min<uint64_t>(buf.size(), left));
            if (!n) return fail(n.error().wrap(quote(store_.path(d))));
            if (*n == 0) return fail_msg("read " + quote(store_.path(d)) + ": file shrank");
            hash.update(buf.data(), *n);
            BERTH_CHECK(sink(std::string_view(buf.data(), *n)));
            left -= *n;
          }
          return {};
        }));
    Digest actual = hash.finish();
    if (actual != d)
      return fail_msg("blob " + d.str() + " in the store has digest " + actual.str());
    return {};
  }

 private:
  const ContentStore& store_;
  TarOutput& tar_;
  std::set<std::string> written_;
};

nlohmann::json index_entry(const ArchiveImage& image, uint64_t size, const std::string& name) {
  nlohmann::json entry = {
      {"mediaType", image.manifest_media_type},
      {"digest", image.manifest_digest.str()},
      {"size", size},
  };
  if (name.empty()) return entry;
  auto ref = parse_reference(name);
  entry["annotations"] = {{"io.containerd.image.name", ref ? ref->str() : name}};
  if (ref && !ref->tag.empty())
    entry["annotations"]["org.opencontainers.image.ref.name"] = ref->tag;
  return entry;
}

}  // namespace

Status save_oci_archive(const ContentStore& store, const std::vector<ArchiveImage>& images,
                        TarOutput& tar) {
  BERTH_CHECK(tar.add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  BERTH_CHECK(tar.add_directory("blobs"));
  BERTH_CHECK(tar.add_directory("blobs/sha256"));
  BlobsOut blobs(store, tar);
  nlohmann::json manifests = nlohmann::json::array();
  for (const auto& image : images) {
    const auto m = BERTH_TRY(read_image_manifest(store, image));
    ArchiveImage entry = image;
    if (entry.manifest_media_type.empty()) entry.manifest_media_type = m.media_type;
    for (const auto& layer : m.layers) {
      if (may_be_absent(layer.media_type) && !store.has(layer.digest)) continue;
      BERTH_CHECK(blobs.add(layer.digest));
    }
    BERTH_CHECK(blobs.add(m.config.digest));
    BERTH_CHECK(blobs.add(image.manifest_digest));
    const uint64_t size = BERTH_TRY(store.size(image.manifest_digest));
    if (image.names.empty()) manifests.push_back(index_entry(entry, size, ""));
    for (const auto& name : image.names) manifests.push_back(index_entry(entry, size, name));
  }
  nlohmann::json index = {
      {"schemaVersion", 2},
      {"mediaType", media_type::kOciIndex},
      {"manifests", std::move(manifests)},
  };
  return tar.add_file("index.json", index.dump());
}

}  // namespace berth::image
