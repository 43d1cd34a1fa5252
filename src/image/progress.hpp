#pragma once

#include <cstdint>
#include <string>

namespace berth::image {

// Receives what docker pull/push prints. Called from several threads at once: implementations lock.
class Progress {
 public:
  virtual ~Progress() = default;
  // id: a layer's short id (first 12 hex of its digest), or "" for a line about the whole image.
  // text: "Pulling fs layer", "Waiting", "Verifying Checksum", "Download complete", "Already
  // exists", "Preparing", "Layer already exists", "Pushed", "Mounted from library/x", ...
  virtual void status(const std::string& id, const std::string& text) = 0;
  // action: "Downloading" or "Pushing"; total 0 when unknown.
  virtual void bytes(const std::string& id, const std::string& action, uint64_t done,
                     uint64_t total) = 0;
};

}  // namespace berth::image
