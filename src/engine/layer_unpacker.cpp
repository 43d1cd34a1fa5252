#include "engine/layer_unpacker.hpp"

#include "image/chain_id.hpp"
#include "image/image_config.hpp"

namespace berth::engine {

LayerUnpacker::LayerUnpacker(image::ImageStore& store, image::Progress* progress, size_t threads)
    : store_(store), progress_(progress) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

LayerUnpacker::~LayerUnpacker() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

Status LayerUnpacker::plan(const image::Manifest& manifest) {
  if (planned_) return {};
  planned_ = true;
  // The config came before any layer: pull_image fetches it first.
  std::string bytes =
      BERTH_TRY(store_.content().read(manifest.config.digest, image::kMaxManifestSize));
  image::ImageConfig config = BERTH_TRY(image::parse_image_config(bytes));
  if (config.rootfs.diff_ids.size() != manifest.layers.size())
    return fail_msg("image config " + manifest.config.digest.str() + " lists " +
                    std::to_string(config.rootfs.diff_ids.size()) + " layers, its manifest " +
                    std::to_string(manifest.layers.size()));
  diff_ids_ = config.rootfs.diff_ids;
  chain_ids_ = image::chain_ids(diff_ids_);
  return {};
}

void LayerUnpacker::submit(const image::Manifest& manifest, const image::Descriptor& layer) {
  {
    std::lock_guard lock(mutex_);
    if (error_ || closing_) return;
    if (auto planned = plan(manifest); !planned) {
      error_ = planned.error();
      return;
    }
    // The same blob may sit at several places of the stack, each a layer of its own.
    for (size_t i = 0; i < manifest.layers.size(); ++i)
      if (manifest.layers[i].digest == layer.digest)
        queue_.push_back({chain_ids_[i], layer.digest, diff_ids_[i]});
  }
  wake_.notify_all();
}

void LayerUnpacker::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
    }
    std::string id = job.blob.hex.substr(0, 12);
    if (progress_ != nullptr && !store_.layers().has(job.chain_id))
      progress_->status(id, "Extracting");
    auto placed = store_.layers().ensure(job.chain_id, job.blob, job.diff_id);
    if (placed && progress_ != nullptr) progress_->status(id, "Pull complete");
    {
      std::lock_guard lock(mutex_);
      --busy_;
      if (!placed && !error_) error_ = placed.error();
    }
    wake_.notify_all();
  }
}

Status LayerUnpacker::finish() {
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [&] { return error_.has_value() || (queue_.empty() && busy_ == 0); });
  if (error_) return fail(*error_);
  return {};
}

}  // namespace berth::engine
