#include "image/image_config.hpp"

#include "base/json_reader.hpp"
#include "base/json_text.hpp"

namespace berth::image {

namespace {

Result<ContainerConfig> parse_container_config(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  ContainerConfig c;
  c.user = BERTH_TRY(r.string("User"));
  c.env = BERTH_TRY(r.strings("Env"));
  c.entrypoint = BERTH_TRY(r.strings("Entrypoint"));
  c.cmd = BERTH_TRY(r.strings("Cmd"));
  c.working_dir = BERTH_TRY(r.string("WorkingDir"));
  c.labels = BERTH_TRY(r.string_map("Labels"));
  c.exposed_ports = BERTH_TRY(r.object_keys("ExposedPorts"));
  c.volumes = BERTH_TRY(r.object_keys("Volumes"));
  c.stop_signal = BERTH_TRY(r.string("StopSignal"));
  if (r.has("Healthcheck")) {
    c.healthcheck = r.json()["Healthcheck"];
    if (!c.healthcheck.is_object()) return fail(r.error("Healthcheck", "must be an object"));
  }
  return c;
}

Result<RootFs> parse_rootfs(const JsonReader& r) {
  RootFs fs;
  fs.type = BERTH_TRY(r.required_string("type"));
  if (fs.type != "layers")
    return fail(r.error("type", "must be \"layers\", got " + quote(fs.type)));
  if (!r.has("diff_ids")) return fail(r.error("diff_ids", "missing"));
  for (const auto& e : BERTH_TRY(r.array("diff_ids"))) {
    if (!e.json().is_string()) return fail_msg(e.path() + ": must be a string");
    auto d = parse_digest(e.json().get<std::string>());
    if (!d) return fail(d.error().wrap(e.path()));
    fs.diff_ids.push_back(*d);
  }
  return fs;
}

Result<HistoryEntry> parse_history_entry(const JsonReader& r) {
  BERTH_CHECK(r.expect_object());
  HistoryEntry h;
  h.created = BERTH_TRY(r.string("created"));
  h.created_by = BERTH_TRY(r.string("created_by"));
  h.author = BERTH_TRY(r.string("author"));
  h.comment = BERTH_TRY(r.string("comment"));
  h.empty_layer = BERTH_TRY(r.boolean("empty_layer"));
  return h;
}

}  // namespace

Result<ImageConfig> parse_image_config(std::string_view bytes) {
  auto j = BERTH_TRY(parse_json_text(bytes, "config"));
  JsonReader r(j, "config");
  BERTH_CHECK(r.expect_object());
  ImageConfig ic;
  ic.created = BERTH_TRY(r.string("created"));
  ic.author = BERTH_TRY(r.string("author"));
  ic.architecture = BERTH_TRY(r.required_string("architecture"));
  ic.os = BERTH_TRY(r.required_string("os"));
  ic.variant = BERTH_TRY(r.string("variant"));
  ic.os_version = BERTH_TRY(r.string("os.version"));
  if (auto c = r.optional_object("config")) ic.config = BERTH_TRY(parse_container_config(*c));
  ic.rootfs = BERTH_TRY(parse_rootfs(BERTH_TRY(r.object("rootfs"))));
  for (const auto& h : BERTH_TRY(r.array("history")))
    ic.history.push_back(BERTH_TRY(parse_history_entry(h)));
  return ic;
}

}  // namespace berth::image
