#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace berth::image {

// "sha256:<64 hex>", the only algorithm images use in practice; others are refused by name.
struct Digest {
  std::string algorithm = "sha256";
  std::string hex;
  std::string str() const { return algorithm + ":" + hex; }
  bool operator==(const Digest&) const = default;
};

Result<Digest> parse_digest(std::string_view text);
// A Digest can be built by hand: its hex becomes a file name only once it is known to be one.
Status check_digest(const Digest& d);

// Streaming sha256 (OpenSSL EVP).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t len);
  Digest finish();

 private:
  void* ctx_;
};

Digest sha256_of(std::string_view data);

}  // namespace berth::image
