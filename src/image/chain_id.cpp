#include "image/chain_id.hpp"

namespace berth::image {

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> out;
  out.reserve(diff_ids.size());
  for (const auto& diff_id : diff_ids) {
    if (out.empty())
      out.push_back(diff_id);
    else
      out.push_back(sha256_of(out.back().str() + " " + diff_id.str()));
  }
  return out;
}

}  // namespace berth::image
