#include "engine/image_inspect.hpp"

#include "base/json_text.hpp"
#include "image/chain_id.hpp"
#include "image/image_config.hpp"
#include "image/manifest.hpp"
#include "image/reference.hpp"

namespace berth::engine {
namespace {

using json = nlohmann::json;

// Docker's container config with its zero values for what the image leaves out.
json container_config(const json& image_config) {
  json c = {{"Hostname", ""},       {"Domainname", ""},      {"User", ""},
            {"AttachStdin", false}, {"AttachStdout", false}, {"AttachStderr", false},
            {"Tty", false},         {"OpenStdin", false},    {"StdinOnce", false},
            {"Env", nullptr},       {"Cmd", nullptr},        {"Image", ""},
            {"Volumes", nullptr},   {"WorkingDir", ""},      {"Entrypoint", nullptr},
            {"OnBuild", nullptr},   {"Labels", nullptr}};
  if (image_config.is_object())
    for (const auto& [k, v] : image_config.items()) c[k] = v;
  return c;
}

std::string string_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<json> inspect_image(ImageService& images, const image::ImageRecord& record) {
  auto& store = images.store();
  std::string bytes = BERTH_TRY(store.content().read(record.id, image::kMaxManifestSize));
  json config = BERTH_TRY(parse_json_text(bytes, "image config " + record.id.str()));
  image::ImageConfig parsed = BERTH_TRY(images.config(record));

  json tags = json::array(), digests = json::array(), layers = json::array();
  for (const auto& t : record.repo_tags) tags.push_back(image::familiar_name(t));
  for (const auto& d : record.repo_digests) digests.push_back(image::familiar_name(d));
  for (const auto& d : parsed.rootfs.diff_ids) layers.push_back(d.str());

  std::string lower;
  auto chains = image::chain_ids(parsed.rootfs.diff_ids);
  for (auto it = chains.rbegin(); it != chains.rend(); ++it) {
    if (!lower.empty()) lower += ':';
    lower += store.layers().diff_path(*it);
  }

  json out = {
      {"Id", record.id.str()},
      {"RepoTags", tags},
      {"RepoDigests", digests},
      {"Parent", ""},
      {"Comment", string_field(config, "comment")},
      {"Created", parsed.created},
      {"Container", string_field(config, "container")},
      {"ContainerConfig", container_config(config.value("container_config", json()))},
      {"DockerVersion", string_field(config, "docker_version")},
      {"Author", parsed.author},
      {"Config", container_config(config.value("config", json()))},
      {"Architecture", parsed.architecture},
      {"Os", parsed.os},
      {"Size", record.size},
      {"VirtualSize", record.size},
      {"GraphDriver", {{"Name", "overlay2"}, {"Data", {{"LowerDir", lower}}}}},
      {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
      {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}},
  };
  if (!parsed.variant.empty()) out["Variant"] = parsed.variant;
  if (!parsed.os_version.empty()) out["OsVersion"] = parsed.os_version;
  return out;
}

}  // namespace berth::engine
