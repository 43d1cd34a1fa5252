#include "cli/berth/context.hpp"

#include "base/fs.hpp"
#include "engine/paths.hpp"
#include "engine/rootless_namespace.hpp"
#include "runtime/cgroups/move_primer.hpp"

namespace berth::cli {

Result<std::unique_ptr<Context>> Context::make(const GlobalOptions& options) {
  auto ctx = std::make_unique<Context>();
  ctx->rootless_ = engine::running_rootless();
  ctx->paths_ = engine::default_paths(ctx->rootless_);
  if (!options.config_file.empty()) ctx->paths_.config_file = options.config_file;
  ctx->daemon_ = BERTH_TRY(engine::load_daemon_config(ctx->paths_.config_file));
  if (ctx->daemon_.data_root) ctx->paths_.data_root = *ctx->daemon_.data_root;
  if (ctx->daemon_.exec_root) ctx->paths_.exec_root = *ctx->daemon_.exec_root;
  if (!options.data_root.empty()) ctx->paths_.data_root = options.data_root;
  if (!options.exec_root.empty()) ctx->paths_.exec_root = options.exec_root;
  if (!options.config_dir.empty()) ctx->paths_.client_dir = options.config_dir;
  if (options.debug) ctx->daemon_.debug = true;
  if (!options.userns_remap.empty()) ctx->daemon_.userns_remap = options.userns_remap;

  image::RegistryConfig& r = ctx->registry_;
  r.insecure_registries = ctx->daemon_.insecure_registries;
  r.insecure_registries.insert(r.insecure_registries.end(), options.insecure_registries.begin(),
                               options.insecure_registries.end());
  r.auth_file = ctx->paths_.client_dir + "/config.json";
  // Logins made with docker (or podman) work too; berth's own file is read first.
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0')
    r.read_auth_files.push_back(std::string(home) + "/.docker/config.json");
  if (ctx->rootless_) {
    std::string config_home = engine::default_paths(true).client_dir;
    r.certs_dirs.insert(r.certs_dirs.begin(), config_home + "/certs.d");
  }
  r.max_concurrent_downloads = ctx->daemon_.max_concurrent_downloads;
  r.max_concurrent_uploads = ctx->daemon_.max_concurrent_uploads;
  r.retries = ctx->daemon_.max_download_attempts;
  return ctx;
}

Result<engine::ImageService*> Context::images() {
  if (images_) return images_.get();
  BERTH_CHECK(fs::mkdir_p(paths_.data_root, 0700));
  image::StoreOptions options;
  options.rootless = rootless_;
  if (rootless_)
    options.in_user_namespace = BERTH_TRY(engine::enter_rootless_user_namespace(paths_.exec_root));
  auto store = BERTH_TRY(image::ImageStore::open(paths_.data_root, options));
  images_ = std::make_unique<engine::ImageService>(
      std::make_unique<image::ImageStore>(std::move(store)), registry_);
  // Docker's rule: an image a container was made from is not removed without force.
  images_->store().in_use = [data_root = paths_.data_root](const image::Digest& id) {
    // Unsure (the database unreadable): keep the image.
    return engine::ContainerStore::image_in_use(data_root, id.str()).value_or(true);
  };
  return images_.get();
}

Result<engine::ContainerService*> Context::containers() {
  if (containers_) return containers_.get();
  engine::ImageService* images = BERTH_TRY(this->images());
  auto kind = BERTH_TRY(image::detect_snapshotter(paths_.data_root, rootless_));
  auto store = BERTH_TRY(engine::ContainerStore::open(paths_.data_root));
  auto volumes = BERTH_TRY(engine::VolumeService::open(paths_.data_root, rootless_));
  containers_ = std::make_unique<engine::ContainerService>(
      paths_, rootless_, *images, std::move(store),
      image::Snapshotter(paths_.data_root, kind, images->store().layers()), std::move(volumes));
  containers_->set_userns_remap(daemon_.userns_remap);
  return containers_.get();
}

void Context::expect_cgroup_move() const {
  if (!rootless_) runtime::cgroups::prime_cgroup_moves();
}

}  // namespace berth::cli
