#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "image/image_store.hpp"
#include "image/manifest.hpp"
#include "image/progress.hpp"

namespace berth::engine {

// Unpacks the layers of an image being pulled as their blobs arrive, on a few threads, while the
// other blobs still download. Each layer goes into a directory of its own (keyed by chain id), so
// the order does not matter: overlay stacks them later.
class LayerUnpacker {
 public:
  LayerUnpacker(image::ImageStore& store, image::Progress* progress, size_t threads);
  ~LayerUnpacker();  // stops and joins; what is unpacked stays for gc or the next add
  LayerUnpacker(const LayerUnpacker&) = delete;
  LayerUnpacker& operator=(const LayerUnpacker&) = delete;

  // Safe to call from any thread.
  void submit(const image::Manifest& manifest, const image::Descriptor& layer);
  // Waits for everything submitted; the first error, if any.
  Status finish();

 private:
  struct Job {
    image::Digest chain_id;
    image::Digest blob;
    image::Digest diff_id;
  };
  Status plan(const image::Manifest& manifest);  // with mutex_ held
  void work();

  image::ImageStore& store_;
  image::Progress* progress_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  size_t busy_ = 0;
  bool closing_ = false;
  std::optional<Error> error_;
  bool planned_ = false;
  std::vector<image::Digest> diff_ids_;
  std::vector<image::Digest> chain_ids_;
  std::vector<std::thread> threads_;
};

}  // namespace berth::engine
