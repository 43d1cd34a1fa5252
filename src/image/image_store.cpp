#include "image/image_store.hpp"

#include <ctime>
#include <variant>

#include "base/fs.hpp"
#include "image/chain_id.hpp"
#include "image/image_config.hpp"
#include "image/image_db.hpp"
#include "image/manifest.hpp"

namespace berth::image {

namespace {

// Image configs carry the build history; Docker's largest are a few hundred KiB.
constexpr size_t kMaxConfigSize = 8 * 1024 * 1024;

struct ParsedImage {
  Manifest manifest;
  ImageConfig config;
};

Result<ParsedImage> read_image(const ContentStore& content, const Digest& manifest_digest) {
  const std::string shown = "manifest " + manifest_digest.str();
  auto bytes = content.read(manifest_digest, kMaxManifestSize);
  if (!bytes) return fail(bytes.error().wrap(shown));
  auto doc = parse_manifest(*bytes);
  if (!doc) return fail(doc.error().wrap(shown));
  if (!std::holds_alternative<Manifest>(*doc))
    return fail_msg(shown + ": an image index, not an image manifest (select a platform first)");
  ParsedImage image{std::get<Manifest>(std::move(*doc)), {}};
  const Digest& config_digest = image.manifest.config.digest;
  auto config_bytes = content.read(config_digest, kMaxConfigSize);
  if (!config_bytes) return fail(config_bytes.error().wrap(shown + ": config"));
  auto config = parse_image_config(*config_bytes);
  if (!config) return fail(config.error().wrap("config " + config_digest.str()));
  image.config = std::move(*config);
  if (image.config.rootfs.diff_ids.size() != image.manifest.layers.size())
    return fail_msg(shown + ": " + std::to_string(image.manifest.layers.size()) +
                    " layers, but its config " + config_digest.str() + " has " +
                    std::to_string(image.config.rootfs.diff_ids.size()) + " diff ids");
  for (size_t i = 0; i < image.manifest.layers.size(); ++i)
    if (!content.has(image.manifest.layers[i].digest))
      return fail_msg(shown + ": layers[" + std::to_string(i) + "] " +
                      image.manifest.layers[i].digest.str() + ": not in the content store");
  return image;
}

Status check_name(const std::string& name) {
  if (name.empty() || name.find_first_of(" \t\n\r") != std::string::npos)
    return fail_msg("image name " + quote(name) + ": not a full reference");
  return {};
}

}  // namespace

Result<ImageStore> ImageStore::open(const std::string& data_root, const StoreOptions& options) {
  BERTH_CHECK(fs::mkdir_p(data_root, 0700));
  auto content = BERTH_TRY(ContentStore::open(fs::join(data_root, "content")));
  UnpackOptions unpack;
  unpack.whiteouts =
      options.rootless ? WhiteoutFormat::overlay_userxattr : WhiteoutFormat::overlay_root;
  unpack.keep_ownership = !options.rootless || options.in_user_namespace;
  auto layers = BERTH_TRY(LayerStore::open(data_root, unpack));
  auto db = BERTH_TRY(sqlite::Db::open(fs::join(data_root, "berth.db")));
  BERTH_CHECK(image_db::migrate(db));
  return ImageStore(data_root, options, std::move(content), std::move(layers), std::move(db));
}

const ContentStore& ImageStore::content() const {
  return content_;
}

LayerStore& ImageStore::layers() {
  return layers_;
}

Result<StoreLease> ImageStore::lease() const {
  return StoreLease::take(data_root_, StoreLease::Mode::shared);
}

Result<ImageRecord> ImageStore::add(const Digest& manifest_digest,
                                    const std::vector<std::string>& repo_tags,
                                    const std::vector<std::string>& repo_digests,
                                    const LayerEvent& on_layer) {
  for (const auto& name : repo_tags) BERTH_CHECK(check_name(name));
  for (const auto& name : repo_digests) BERTH_CHECK(check_name(name));
  auto held = BERTH_TRY(lease());
  auto image = BERTH_TRY(read_image(content_, manifest_digest));
  const auto& diff_ids = image.config.rootfs.diff_ids;
  auto chains = image::chain_ids(diff_ids);
  std::vector<image_db::LayerRow> rows;
  uint64_t size = 0;
  auto event = [&](const Digest& blob, const char* what) {
    if (on_layer) on_layer(blob.hex.substr(0, 12), what);
  };
  for (size_t i = 0; i < chains.size(); ++i) {
    const Digest& blob = image.manifest.layers[i].digest;
    if (layers_.has(chains[i])) {
      event(blob, "Already exists");
    } else {
      event(blob, "Extracting");
      auto placed = layers_.ensure(chains[i], blob, diff_ids[i]);
      if (!placed) return fail(placed.error().wrap("manifest " + manifest_digest.str()));
      event(blob, *placed ? "Pull complete" : "Already exists");
    }
    size += BERTH_TRY(layers_.size(chains[i]));
    rows.push_back({blob, diff_ids[i], chains[i]});
  }
  ImageRecord record;
  record.id = image.manifest.config.digest;
  record.manifest_digest = manifest_digest;
  record.manifest_media_type = image.manifest.media_type;
  record.created = image.config.created;
  record.added_unix = static_cast<int64_t>(::time(nullptr));
  record.size = size;

  std::lock_guard lock(*mu_);
  auto txn = BERTH_TRY(sqlite::Transaction::begin(db_));
  BERTH_CHECK(image_db::insert_image(db_, record, rows));
  for (const auto& name : repo_tags) BERTH_CHECK(image_db::set_name(db_, name, record.id));
  for (const auto& name : repo_digests) BERTH_CHECK(image_db::set_name(db_, name, record.id));
  auto stored = BERTH_TRY(image_db::load(db_, record.id));
  BERTH_CHECK(txn.commit());
  if (!stored) return fail_msg("image " + record.id.str() + ": not recorded");
  return std::move(*stored);
}

Result<std::optional<ImageRecord>> ImageStore::find(std::string_view full_name_or_id) const {
  std::lock_guard lock(*mu_);
  auto match = BERTH_TRY(image_db::resolve(db_, full_name_or_id));
  if (!match) return std::nullopt;
  return image_db::load(db_, match->id);
}

Result<std::vector<ImageRecord>> ImageStore::list() const {
  std::lock_guard lock(*mu_);
  std::vector<ImageRecord> out;
  for (const auto& id : BERTH_TRY(image_db::ids(db_)))
    if (auto record = BERTH_TRY(image_db::load(db_, id))) out.push_back(std::move(*record));
  return out;
}

Status ImageStore::tag(const Digest& id, const std::string& full_name) {
  BERTH_CHECK(check_name(full_name));
  std::lock_guard lock(*mu_);
  auto txn = BERTH_TRY(sqlite::Transaction::begin(db_));
  if (!BERTH_TRY(image_db::load(db_, id))) return fail_msg("No such image: " + id.str());
  BERTH_CHECK(image_db::set_name(db_, full_name, id));
  return txn.commit();
}

Result<std::vector<Digest>> ImageStore::chain_ids(const Digest& id) const {
  std::lock_guard lock(*mu_);
  if (!BERTH_TRY(image_db::load(db_, id))) return fail_msg("No such image: " + id.str());
  std::vector<Digest> out;
  for (auto& row : BERTH_TRY(image_db::layers(db_, id))) out.push_back(std::move(row.chain_id));
  return out;
}

}  // namespace berth::image
