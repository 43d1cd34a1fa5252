#pragma once

// Small images built in a test's own content store: layers as tar (libarchive), an image config
// and an OCI manifest.

#include <archive.h>
#include <archive_entry.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "image/chain_id.hpp"
#include "image/content_store.hpp"
#include "image/digest.hpp"
#include "image/media_types.hpp"

namespace berth_test {

using berth::image::Digest;

struct Entry {
  std::string name;
  unsigned type = AE_IFREG;
  mode_t perm = 0644;
  std::string data;
  std::string symlink;
  std::string hardlink;
};

inline Entry file(std::string name, std::string data, mode_t perm = 0644) {
  return Entry{std::move(name), AE_IFREG, perm, std::move(data), "", ""};
}
inline Entry dir(std::string name, mode_t perm = 0755) {
  return Entry{std::move(name), AE_IFDIR, perm, "", "", ""};
}
inline Entry symlink(std::string name, std::string target) {
  return Entry{std::move(name), AE_IFLNK, 0777, "", std::move(target), ""};
}
inline Entry hardlink(std::string name, std::string target) {
  return Entry{std::move(name), AE_IFREG, 0644, "", "", std::move(target)};
}
// An OCI whiteout of path ("dir/name" -> "dir/.wh.name").
inline Entry whiteout(const std::string& path) {
  auto slash = path.rfind('/');
  std::string name = slash == std::string::npos
                         ? ".wh." + path
                         : path.substr(0, slash + 1) + ".wh." + path.substr(slash + 1);
  return file(name, "");
}
inline Entry opaque(const std::string& dir_path) {
  return file(dir_path + "/.wh..wh..opq", "");
}

enum class Compression { none, gzip, zstd };

inline la_ssize_t append_to_string(archive*, void* out, const void* data, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(data), n);
  return static_cast<la_ssize_t>(n);
}

inline std::string tar_bytes(const std::vector<Entry>& entries,
                             Compression compression = Compression::gzip) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (compression == Compression::gzip) archive_write_add_filter_gzip(a);
  if (compression == Compression::zstd) archive_write_add_filter_zstd(a);
  archive_write_set_bytes_in_last_block(a, 1);
  EXPECT_EQ(archive_write_open(a, &out, nullptr, append_to_string, nullptr), ARCHIVE_OK);
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.perm);
    archive_entry_set_mtime(e, 1700000000, 0);
    if (t.type == AE_IFREG && t.hardlink.empty()) archive_entry_set_size(e, t.data.size());
    if (!t.symlink.empty()) archive_entry_set_symlink(e, t.symlink.c_str());
    if (!t.hardlink.empty()) archive_entry_set_hardlink(e, t.hardlink.c_str());
    EXPECT_GE(archive_write_header(a, e), ARCHIVE_WARN)
        << t.name << ": " << archive_error_string(a);
    if (!t.data.empty()) archive_write_data(a, t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

inline std::string decompressed(const std::string& blob) {
  archive* a = archive_read_new();
  archive_read_support_format_raw(a);
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_open_memory(a, blob.data(), blob.size());
  archive_entry* e = nullptr;
  std::string out;
  if (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
      out.append(buf, static_cast<size_t>(n));
  }
  archive_read_free(a);
  return out;
}

struct Layer {
  Digest blob;
  Digest diff_id;
  int64_t size = 0;
};

inline Layer put_layer(const berth::image::ContentStore& store, const std::vector<Entry>& entries,
                       Compression compression = Compression::gzip) {
  std::string blob = tar_bytes(entries, compression);
  auto d = store.put(blob);
  EXPECT_TRUE(d) << d.error().what();
  return Layer{*d, berth::image::sha256_of(decompressed(blob)), static_cast<int64_t>(blob.size())};
}

struct BuiltImage {
  Digest manifest;
  Digest config;
  std::vector<Layer> layers;
  std::vector<Digest> chain_ids;
};

inline std::string config_json(const std::vector<Layer>& layers, const std::string& created,
                               const std::string& note) {
  nlohmann::json diff_ids = nlohmann::json::array();
  for (const auto& l : layers) diff_ids.push_back(l.diff_id.str());
  nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", created},
      {"config", {{"Cmd", {"sh"}}, {"Labels", {{"note", note}}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
  };
  return config.dump();
}

// An image of the given layers (put into the store already); note makes its config unique.
inline BuiltImage put_image(const berth::image::ContentStore& store,
                            const std::vector<Layer>& layers,
                            const std::string& created = "2024-01-01T00:00:00Z",
                            const std::string& note = "") {
  namespace mt = berth::image::media_type;
  BuiltImage image;
  image.layers = layers;
  std::string config = config_json(layers, created, note);
  auto config_digest = store.put(config);
  EXPECT_TRUE(config_digest);
  image.config = *config_digest;
  nlohmann::json layer_list = nlohmann::json::array();
  std::vector<Digest> diff_ids;
  for (const auto& l : layers) {
    layer_list.push_back(
        {{"mediaType", mt::kOciLayerGzip}, {"digest", l.blob.str()}, {"size", l.size}});
    diff_ids.push_back(l.diff_id);
  }
  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", mt::kOciManifest},
      {"config",
       {{"mediaType", mt::kOciConfig},
        {"digest", config_digest->str()},
        {"size", static_cast<int64_t>(config.size())}}},
      {"layers", layer_list},
  };
  auto manifest_digest = store.put(manifest.dump());
  EXPECT_TRUE(manifest_digest);
  image.manifest = *manifest_digest;
  image.chain_ids = berth::image::chain_ids(diff_ids);
  return image;
}

// An OCI index over one manifest, as a registry returns for a multi-platform tag.
inline Digest put_index(const berth::image::ContentStore& store, const BuiltImage& image) {
  namespace mt = berth::image::media_type;
  auto manifest = store.read(image.manifest, 1 << 20);
  EXPECT_TRUE(manifest);
  nlohmann::json index = {
      {"schemaVersion", 2},
      {"mediaType", mt::kOciIndex},
      {"manifests",
       {{{"mediaType", mt::kOciManifest},
         {"digest", image.manifest.str()},
         {"size", static_cast<int64_t>(manifest->size())},
         {"platform", {{"architecture", "amd64"}, {"os", "linux"}}}}}},
  };
  auto d = store.put(index.dump());
  EXPECT_TRUE(d);
  return *d;
}

struct TempDir {
  std::string path;
  explicit TempDir(const char* prefix = "/tmp/berth-store-XXXXXX") {
    std::string tmpl = prefix;
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    // Unpacked directories may be read-only; overlay's work dir is 0000.
    ::nftw(
        path.c_str(),
        [](const char* p, const struct stat* st, int, struct FTW*) {
          if (S_ISDIR(st->st_mode)) ::chmod(p, 0700);
          return 0;
        },
        16, FTW_PHYS);
    (void)berth::fs::remove_all(path);
  }
  std::string at(const std::string& rel) const { return path + "/" + rel; }
};

// Unmounts target when the test ends, however it ends.
struct MountGuard {
  std::string target;
  explicit MountGuard(std::string t) : target(std::move(t)) {}
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  ~MountGuard() {
    if (!target.empty()) ::umount2(target.c_str(), MNT_DETACH);
  }
};

}  // namespace berth_test
