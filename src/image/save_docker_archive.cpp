#include <set>

#include <nlohmann/json.hpp>

#include "image/archive_savers.hpp"
#include "image/chain_id.hpp"
#include "image/image_config.hpp"
#include "image/reference.hpp"
#include "image/uncompressed_layer.hpp"

namespace berth::image {

namespace {

constexpr std::string_view kEpoch = "1970-01-01T00:00:00Z";

// The legacy per-layer json of `docker save` archives; docker load and podman load read
// manifest.json instead, but older tools look for it.
std::string legacy_layer_json(const std::string& id, const std::string& parent,
                              const ImageConfig& config) {
  nlohmann::json j = {
      {"id", id},
      {"created", config.created.empty() ? std::string(kEpoch) : config.created},
      {"container_config", {{"Cmd", nullptr}}},
  };
  if (!parent.empty()) j["parent"] = parent;
  if (!config.os.empty()) j["os"] = config.os;
  return j.dump();
}

class DockerArchiveWriter {
 public:
  DockerArchiveWriter(const ContentStore& store, TarOutput& tar) : store_(store), tar_(tar) {}

  Status add(const ArchiveImage& image) {
    const auto m = BERTH_TRY(read_image_manifest(store_, image));
    const std::string what = "config " + m.config.digest.str();
    const auto config_bytes = BERTH_TRY(store_.read(m.config.digest, kMaxManifestSize));
    auto config = parse_image_config(config_bytes);
    if (!config) return fail(config.error().wrap(what));
    const auto& diff_ids = config->rootfs.diff_ids;
    if (diff_ids.size() != m.layers.size())
      return fail_msg("manifest " + image.manifest_digest.str() + ": " +
                      std::to_string(m.layers.size()) + " layers, but " + what + " has " +
                      std::to_string(diff_ids.size()) + " diff ids");

    const std::string config_name = m.config.digest.hex + ".json";
    if (written_.insert(config_name).second) BERTH_CHECK(tar_.add_file(config_name, config_bytes));

    // A layer's directory is named by its chain id: the same content on another parent is another
    // legacy layer.
    const auto chain = chain_ids(diff_ids);
    nlohmann::json layers = nlohmann::json::array();
    for (size_t i = 0; i < chain.size(); ++i) {
      const std::string id = chain[i].hex;
      const std::string path = id + "/layer.tar";
      layers.push_back(path);
      if (!written_.insert(id).second) continue;
      BERTH_CHECK(tar_.add_directory(id));
      BERTH_CHECK(tar_.add_file(id + "/VERSION", "1.0"));
      BERTH_CHECK(tar_.add_file(id + "/json",
                                legacy_layer_json(id, i > 0 ? chain[i - 1].hex : "", *config)));
      const Digest& blob = m.layers[i].digest;
      const uint64_t size = BERTH_TRY(uncompressed_layer_size(store_, blob, diff_ids[i]));
      BERTH_CHECK(tar_.add_stream(path, size, [&](const TarOutput::Sink& sink) {
        return read_uncompressed_layer(store_, blob, sink);
      }));
    }

    nlohmann::json tags = nlohmann::json::array();
    for (const auto& name : image.names) {
      auto ref = parse_reference(name);
      if (!ref) return fail(ref.error());
      if (ref->tag.empty()) continue;  // a digest names no tag to load under
      const std::string repository = familiar_name(ref->name());
      tags.push_back(repository + ":" + ref->tag);
      if (!chain.empty()) repositories_[repository][ref->tag] = chain.back().hex;
    }
    manifest_.push_back({
        {"Config", config_name},
        {"RepoTags", tags.empty() ? nlohmann::json(nullptr) : tags},
        {"Layers", std::move(layers)},
    });
    return {};
  }

  Status finish() {
    BERTH_CHECK(tar_.add_file("manifest.json", manifest_.dump()));
    if (!repositories_.empty()) BERTH_CHECK(tar_.add_file("repositories", repositories_.dump()));
    return {};
  }

 private:
  const ContentStore& store_;
  TarOutput& tar_;
  std::set<std::string> written_;
  nlohmann::json manifest_ = nlohmann::json::array();
  nlohmann::json repositories_ = nlohmann::json::object();
};

}  // namespace

Status save_docker_archive(const ContentStore& store, const std::vector<ArchiveImage>& images,
                           TarOutput& tar) {
  DockerArchiveWriter writer(store, tar);
  for (const auto& image : images) BERTH_CHECK(writer.add(image));
  return writer.finish();
}

}  // namespace berth::image
