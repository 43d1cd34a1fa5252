#include "image/select_manifest.hpp"

namespace berth::image {

namespace {

std::string canonical_variant(const Platform& p) {
  if (p.architecture == "arm64" && p.variant.empty()) return "v8";
  if (p.architecture == "amd64" && p.variant == "v1") return "";
  return p.variant;
}

bool selectable(const Descriptor& d) {
  if (!d.platform) return false;
  if (d.platform->os == "unknown" || d.platform->architecture == "unknown") return false;
  auto ref = d.annotations.find("vnd.docker.reference.type");
  return ref == d.annotations.end() || ref->second != "attestation-manifest";
}

}  // namespace

Result<Descriptor> select_manifest(const Index& index, const Platform& want) {
  if (index.manifests.size() == 1 && !index.manifests[0].platform) return index.manifests[0];
  const Descriptor* without_variant = nullptr;
  std::string available;
  for (const auto& d : index.manifests) {
    if (!selectable(d)) continue;
    const auto& p = *d.platform;
    available += (available.empty() ? "" : ", ") + p.str();
    if (p.os != want.os || p.architecture != want.architecture) continue;
    if (canonical_variant(p) == canonical_variant(want)) return d;
    if (p.variant.empty() && !without_variant) without_variant = &d;
  }
  if (without_variant) return *without_variant;
  return fail_msg("no manifest for " + want.str() + " in index: available " +
                  (available.empty() ? "none" : available));
}

}  // namespace berth::image
