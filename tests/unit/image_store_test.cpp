#include "image/image_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "image_fixture.hpp"

namespace {

using namespace berth_test;
using berth::image::ImageRecord;
using berth::image::ImageStore;
using berth::image::StoreOptions;

constexpr const char* kBusybox = "docker.io/library/busybox:latest";

struct Fixture {
  TempDir dir;
  ImageStore store = open();
  Layer base =
      put_layer(store.content(), {dir_entry("bin"), file("bin/sh", "shell"), file("etc", "12")});
  Layer app = put_layer(store.content(), {file("app", "application")});

  ImageStore open() {
    StoreOptions o;
    o.rootless = ::geteuid() != 0;
    auto s = ImageStore::open(dir.path, o);
    EXPECT_TRUE(s) << s.error().what();
    return std::move(*s);
  }
  static Entry dir_entry(const std::string& name) { return berth_test::dir(name); }

  ImageRecord add(const BuiltImage& image, std::vector<std::string> tags,
                  std::vector<std::string> digests = {}) {
    auto r = store.add(image.manifest, tags, digests);
    EXPECT_TRUE(r) << r.error().what();
    return r ? *r : ImageRecord{};
  }
  bool blob(const Digest& d) const { return store.content().has(d); }
  std::vector<std::string> layer_dirs() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir.at("layers")))
      out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::optional<ImageRecord> find(const ImageStore& store, const std::string& what) {
  auto r = store.find(what);
  EXPECT_TRUE(r) << r.error().what();
  return r ? *r : std::nullopt;
}

TEST(ImageStore, AddRecordsTheImageAndItsNames) {
  Fixture f;
  auto image = put_image(f.store.content(), {f.base, f.app}, "2024-02-03T04:05:06.123456789Z");
  std::string by_digest = "docker.io/library/busybox@" + image.manifest.str();
  auto record = f.add(image, {kBusybox}, {by_digest});
  EXPECT_EQ(record.id, image.config);
  EXPECT_EQ(record.manifest_digest, image.manifest);
  EXPECT_EQ(record.manifest_media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(record.repo_tags, std::vector<std::string>{kBusybox});
  EXPECT_EQ(record.repo_digests, std::vector<std::string>{by_digest});
  EXPECT_EQ(record.created, "2024-02-03T04:05:06.123456789Z");
  EXPECT_GT(record.added_unix, 0);
  EXPECT_EQ(record.size, std::string("shell12application").size());
  for (const auto& chain : image.chain_ids) EXPECT_TRUE(f.store.layers().has(chain));
  auto chains = f.store.chain_ids(image.config);
  ASSERT_TRUE(chains);
  EXPECT_EQ(*chains, image.chain_ids);
}

TEST(ImageStore, FindsByNameIdHexAndPrefix) {
  Fixture f;
  auto image = put_image(f.store.content(), {f.base});
  std::string by_digest = "docker.io/library/busybox@" + image.manifest.str();
  f.add(image, {kBusybox}, {by_digest});
  const std::string hex = image.config.hex;
  for (const std::string& key :
       {std::string(kBusybox), by_digest, image.config.str(), hex, hex.substr(0, 4),
        hex.substr(0, 12), "sha256:" + hex.substr(0, 6)}) {
    auto r = find(f.store, key);
    ASSERT_TRUE(r) << key;
    EXPECT_EQ(r->id, image.config) << key;
  }
  for (const std::string& key : {std::string("docker.io/library/busybox:other"), hex.substr(0, 3),
                                 std::string("busybox"), std::string(""), std::string("zzzz")})
    EXPECT_FALSE(find(f.store, key)) << key;
  EXPECT_FALSE(find(f.store, hex.substr(0, 10) == "0000000000" ? "1111111111" : "0000000000"));
}

TEST(ImageStore, AmbiguousPrefixIsAnError) {
  Fixture f;
  // Two configs whose ids share their first 4 hex digits: about 300 tries by the birthday bound.
  std::map<std::string, std::string> seen;
  std::string a, b;
  for (int i = 0; a.empty(); ++i) {
    std::string note = std::to_string(i);
    auto hex = berth::image::sha256_of(config_json({f.base}, "2024-01-01T00:00:00Z", note)).hex;
    auto [it, fresh] = seen.try_emplace(hex.substr(0, 4), note);
    if (!fresh) {
      a = it->second;
      b = note;
    }
  }
  auto first = put_image(f.store.content(), {f.base}, "2024-01-01T00:00:00Z", a);
  auto second = put_image(f.store.content(), {f.base}, "2024-01-01T00:00:00Z", b);
  f.add(first, {"r/a:1"});
  f.add(second, {"r/b:1"});
  ASSERT_EQ(first.config.hex.substr(0, 4), second.config.hex.substr(0, 4));
  auto r = f.store.find(first.config.hex.substr(0, 4));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("ambiguous"), std::string::npos) << r.error().what();
  // A longer prefix tells them apart.
  size_t n = 4;
  while (first.config.hex[n] == second.config.hex[n]) ++n;
  EXPECT_EQ(find(f.store, first.config.hex.substr(0, n + 1))->id, first.config);
}

TEST(ImageStore, ListIsNewestFirst) {
  Fixture f;
  auto old_image = put_image(f.store.content(), {f.base}, "2020-01-01T00:00:00Z");
  auto new_image = put_image(f.store.content(), {f.base, f.app}, "2023-06-01T10:00:00+02:00");
  auto mid_image = put_image(f.store.content(), {f.app}, "2021-01-01T00:00:00.5Z");
  f.add(old_image, {"r/old:1"});
  f.add(new_image, {"r/new:1"});
  f.add(mid_image, {"r/mid:1"});
  auto list = f.store.list();
  ASSERT_TRUE(list) << list.error().what();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, new_image.config);
  EXPECT_EQ((*list)[1].id, mid_image.config);
  EXPECT_EQ((*list)[2].id, old_image.config);
}

TEST(ImageStore, LayerEvents) {
  Fixture f;
  auto first = put_image(f.store.content(), {f.base});
  auto second = put_image(f.store.content(), {f.base, f.app});
  std::vector<std::string> events;
  auto record = [&](const std::string& id, const std::string& event) {
    events.push_back(id + " " + event);
  };
  ASSERT_TRUE(f.store.add(first.manifest, {"r/a:1"}, {}, record));
  ASSERT_TRUE(f.store.add(second.manifest, {"r/b:1"}, {}, record));
  const std::string base = f.base.blob.hex.substr(0, 12);
  const std::string app = f.app.blob.hex.substr(0, 12);
  EXPECT_EQ(events, (std::vector<std::string>{base + " Extracting", base + " Pull complete",
                                              base + " Already exists", app + " Extracting",
                                              app + " Pull complete"}));
}

TEST(ImageStore, AddingAgainOnlyAddsNamesAndTagsMove) {
  Fixture f;
  auto a = put_image(f.store.content(), {f.base});
  auto b = put_image(f.store.content(), {f.app});
  auto first = f.add(a, {"r/x:1"});
  auto again = f.add(a, {"r/x:2"});
  EXPECT_EQ(again.added_unix, first.added_unix);
  EXPECT_EQ(again.repo_tags, (std::vector<std::string>{"r/x:1", "r/x:2"}));
  f.add(b, {"r/x:1"});
  EXPECT_EQ(find(f.store, "r/x:1")->id, b.config);
  EXPECT_EQ(find(f.store, a.config.str())->repo_tags, std::vector<std::string>{"r/x:2"});
  ASSERT_TRUE(f.store.tag(a.config, "r/x:1"));
  EXPECT_EQ(find(f.store, "r/x:1")->id, a.config);
  EXPECT_TRUE(find(f.store, b.config.str())->repo_tags.empty());
  auto missing = f.store.tag(berth::image::sha256_of("nothing"), "r/x:3");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().what().find("No such image"), std::string::npos);
}

TEST(ImageStore, AddRefusesIndexesAndMissingLayers) {
  Fixture f;
  auto image = put_image(f.store.content(), {f.base, f.app});
  auto index = put_index(f.store.content(), image);
  auto r = f.store.add(index, {"r/x:1"}, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("index"), std::string::npos) << r.error().what();
  ASSERT_TRUE(f.store.content().remove(f.app.blob));
  r = f.store.add(image.manifest, {"r/x:1"}, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find(f.app.blob.str()), std::string::npos) << r.error().what();
  EXPECT_FALSE(find(f.store, "r/x:1"));
}

// rmi of one of two tags untags it; of the last name, deletes the image.
TEST(ImageStore, RemoveByNameUntagsThenDeletes) {
  Fixture f;
  auto image = put_image(f.store.content(), {f.base});
  std::string by_digest = "docker.io/library/busybox@" + image.manifest.str();
  f.add(image, {kBusybox, "docker.io/library/busybox:1.36"}, {by_digest});
  auto r = f.store.remove(kBusybox, false);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->untagged, std::vector<std::string>{kBusybox});
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_TRUE(find(f.store, image.config.str()));
  // The repository's last tag takes its digest names along.
  r = f.store.remove("docker.io/library/busybox:1.36", false);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->untagged, (std::vector<std::string>{"docker.io/library/busybox:1.36", by_digest}));
  EXPECT_EQ(r->deleted, std::vector<Digest>{image.config});
  EXPECT_FALSE(find(f.store, image.config.str()));
  // Its blobs and layers go with it, as with Docker's rmi.
  EXPECT_FALSE(f.blob(image.manifest));
  EXPECT_FALSE(f.store.layers().has(image.chain_ids[0]));
  EXPECT_GT(r->space_reclaimed, 0u);
  auto missing = f.store.remove(kBusybox, false);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().what(), std::string("No such image: ") + kBusybox);
}

TEST(ImageStore, RemoveKeepsWhatAnotherImageOrARunningPullNeeds) {
  Fixture f;
  auto first = put_image(f.store.content(), {f.base});
  auto second = put_image(f.store.content(), {f.base, f.app});
  f.add(first, {"docker.io/library/a:1"}, {});
  f.add(second, {"docker.io/library/b:1"}, {});
  auto r = f.store.remove("docker.io/library/b:1", false);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_FALSE(f.blob(second.manifest));
  EXPECT_TRUE(f.store.layers().has(first.chain_ids[0]));  // a's layer, shared
  EXPECT_FALSE(f.store.layers().has(second.chain_ids[1]));

  // A pull holds the store: the record goes at once, the files at the next gc.
  auto lease = f.store.lease();
  ASSERT_TRUE(lease) << lease.error().what();
  r = f.store.remove("docker.io/library/a:1", false);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->deleted, std::vector<Digest>{first.config});
  EXPECT_TRUE(f.blob(first.manifest));
  EXPECT_TRUE(f.store.layers().has(first.chain_ids[0]));
  { auto released = std::move(*lease); }
  auto gc = f.store.gc();
  ASSERT_TRUE(gc) << gc.error().what();
  EXPECT_FALSE(f.blob(first.manifest));
  EXPECT_FALSE(f.store.layers().has(first.chain_ids[0]));
}

TEST(ImageStore, RemoveByNameKeepsOtherRepositories) {
  Fixture f;
  auto image = put_image(f.store.content(), {f.base});
  f.add(image, {"docker.io/library/a:1", "docker.io/library/b:1"},
        {"docker.io/library/b@" + image.manifest.str()});
  auto r = f.store.remove("docker.io/library/a:1", false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->untagged, std::vector<std::string>{"docker.io/library/a:1"});
  auto left = find(f.store, image.config.str());
  ASSERT_TRUE(left);
  EXPECT_EQ(left->repo_tags, std::vector<std::string>{"docker.io/library/b:1"});
  EXPECT_EQ(left->repo_digests.size(), 1u);
}

TEST(ImageStore, RemoveByIdOfAnImageInSeveralRepositoriesNeedsForce) {
  Fixture f;
  auto image = put_image(f.store.content(), {f.base});
  f.add(image, {"docker.io/library/a:1", "docker.io/library/b:1"});
  auto r = f.store.remove(image.config.hex.substr(0, 12), false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "conflict: unable to delete " + image.config.hex.substr(0, 12) +
                " (must be forced) - image is referenced in multiple repositories");
  EXPECT_EQ(find(f.store, image.config.str())->repo_tags.size(), 2u);
  r = f.store.remove(image.config.hex.substr(0, 12), true);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->untagged,
            (std::vector<std::string>{"docker.io/library/a:1", "docker.io/library/b:1"}));
  EXPECT_EQ(r->deleted, std::vector<Digest>{image.config});
  EXPECT_FALSE(find(f.store, "docker.io/library/b:1"));
}

TEST(ImageStore, RemoveByIdWithOneRepositoryUntagsAndDeletes) {
  Fixture f;
  auto image = put_image(f.store.content(), {f.base});
  std::string by_digest = "docker.io/library/a@" + image.manifest.str();
  f.add(image, {"docker.io/library/a:1"}, {by_digest});
  auto r = f.store.remove(image.config.str(), false);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->untagged, (std::vector<std::string>{"docker.io/library/a:1", by_digest}));
  EXPECT_EQ(r->deleted, std::vector<Digest>{image.config});
}

TEST(ImageStore, ImagesInUseAreKept) {
  Fixture f;
  auto image = put_image(f.store.content(), {f.base});
  f.add(image, {"docker.io/library/a:1"});
  f.store.in_use = [&](const Digest& id) { return id == image.config; };
  auto r = f.store.remove("docker.io/library/a:1", false);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("must force"), std::string::npos) << r.error().what();
  r = f.store.remove(image.config.str(), false);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("being used"), std::string::npos) << r.error().what();
  // Forced, the name goes and the image stays (dangling), its layers with it.
  r = f.store.remove("docker.io/library/a:1", true);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->untagged, std::vector<std::string>{"docker.io/library/a:1"});
  EXPECT_TRUE(r->deleted.empty());
  ASSERT_TRUE(find(f.store, image.config.str()));
  auto pruned = f.store.prune(true);
  ASSERT_TRUE(pruned);
  EXPECT_TRUE(pruned->deleted.empty());
  EXPECT_TRUE(f.store.layers().has(image.chain_ids[0]));
  f.store.in_use = nullptr;
  pruned = f.store.prune(false);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(pruned->deleted, std::vector<Digest>{image.config});
}

TEST(ImageStore, PruneDanglingThenAll) {
  Fixture f;
  auto tagged = put_image(f.store.content(), {f.base}, "2024-01-01T00:00:00Z", "tagged");
  auto dangling = put_image(f.store.content(), {f.base, f.app}, "2024-01-01T00:00:00Z", "dangling");
  auto by_digest = put_image(f.store.content(), {f.app}, "2024-01-01T00:00:00Z", "digest");
  f.add(tagged, {"r/t:1"});
  f.add(dangling, {"r/t:1"});
  f.add(by_digest, {}, {"r/d@" + by_digest.manifest.str()});
  f.store.tag(tagged.config, "r/t:1");  // dangling loses its only tag
  auto r = f.store.prune(false);
  ASSERT_TRUE(r) << r.error().what();
  std::sort(r->deleted.begin(), r->deleted.end(),
            [](const Digest& x, const Digest& y) { return x.hex < y.hex; });
  std::vector<Digest> expected{dangling.config, by_digest.config};
  std::sort(expected.begin(), expected.end(),
            [](const Digest& x, const Digest& y) { return x.hex < y.hex; });
  EXPECT_EQ(r->deleted, expected);
  EXPECT_EQ(r->untagged, std::vector<std::string>{"r/d@" + by_digest.manifest.str()});
  EXPECT_GT(r->space_reclaimed, 0u);
  // What only the pruned images used is gone; the base layer stays with the tagged image.
  EXPECT_FALSE(f.blob(f.app.blob));
  EXPECT_FALSE(f.blob(dangling.manifest));
  EXPECT_TRUE(f.blob(f.base.blob));
  EXPECT_EQ(f.layer_dirs(), std::vector<std::string>{tagged.chain_ids[0].hex});
  ASSERT_TRUE(find(f.store, "r/t:1"));
  r = f.store.prune(true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->deleted, std::vector<Digest>{tagged.config});
  EXPECT_EQ(r->untagged, std::vector<std::string>{"r/t:1"});
  EXPECT_TRUE(f.store.content().list()->empty());
  EXPECT_TRUE(f.layer_dirs().empty());
}

TEST(ImageStore, GcKeepsWhatImagesReferenceIndexesIncluded) {
  Fixture f;
  auto image = put_image(f.store.content(), {f.base, f.app});
  auto index = put_index(f.store.content(), image);
  auto stray = f.store.content().put("stray blob");
  ASSERT_TRUE(stray);
  f.add(image, {"r/x:1"}, {"r/x@" + index.str()});
  auto report = f.store.gc();
  ASSERT_TRUE(report) << report.error().what();
  EXPECT_EQ(report->blobs_removed, 1u);
  EXPECT_EQ(report->layers_removed, 0u);
  EXPECT_EQ(report->bytes_freed, std::string("stray blob").size());
  EXPECT_FALSE(f.blob(*stray));
  for (const auto& d : {image.manifest, image.config, index, f.base.blob, f.app.blob})
    EXPECT_TRUE(f.blob(d)) << d.str();
  EXPECT_EQ(f.layer_dirs().size(), 2u);
  EXPECT_TRUE(f.store.check()->problems.empty());
}

// What a crash leaves: an ingest file, half-unpacked layer dirs. Only those older than this
// process and held by no one go.
TEST(ImageStore, GcRemovesLeftoversOfEarlierProcesses) {
  Fixture f;
  f.add(put_image(f.store.content(), {f.base, f.app}), {"r/x:1"});
  auto old_time = [](const std::string& path) {
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = ::time(nullptr) - 3600;
    times[0].tv_nsec = times[1].tv_nsec = 0;
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
  };
  std::string ingest = f.dir.at("content/ingest/" + berth::image::sha256_of("x").hex);
  ASSERT_TRUE(berth::fs::write_file_atomic(ingest, "partial", 0600));
  old_time(ingest);
  std::string fresh = f.dir.at("content/ingest/" + berth::image::sha256_of("y").hex);
  ASSERT_TRUE(berth::fs::write_file_atomic(fresh, "partial", 0600));
  ASSERT_EQ(::mkdir(f.dir.at("layers/.tmp-abc-1").c_str(), 0700), 0);
  ASSERT_TRUE(berth::fs::write_file_atomic(f.dir.at("layers/.tmp-abc-1/f"), "12345", 0600));
  old_time(f.dir.at("layers/.tmp-abc-1"));
  ASSERT_EQ(::mkdir(f.dir.at("layers/.tmp-held-1").c_str(), 0700), 0);
  old_time(f.dir.at("layers/.tmp-held-1"));
  berth::unique_fd held(::open(f.dir.at("layers/.tmp-held-1").c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_EQ(::flock(held.get(), LOCK_EX), 0);

  auto checked = f.store.check();
  ASSERT_TRUE(checked);
  EXPECT_TRUE(checked->problems.empty());
  EXPECT_EQ(checked->leftovers.size(), 3u);  // both ingest files and the unheld temp dir

  auto report = f.store.gc();
  ASSERT_TRUE(report) << report.error().what();
  EXPECT_EQ(report->bytes_freed, 7u + 5u);
  EXPECT_FALSE(berth::fs::exists(ingest));
  EXPECT_TRUE(berth::fs::exists(fresh));
  EXPECT_FALSE(berth::fs::exists(f.dir.at("layers/.tmp-abc-1")));
  EXPECT_TRUE(berth::fs::exists(f.dir.at("layers/.tmp-held-1")));
}

TEST(ImageStore, CheckReportsCorruptAndMissingPieces) {
  Fixture f;
  auto image = put_image(f.store.content(), {f.base, f.app});
  f.add(image, {"r/x:1"});
  auto clean = f.store.check();
  ASSERT_TRUE(clean) << clean.error().what();
  EXPECT_TRUE(clean->problems.empty()) << clean->problems[0];

  std::string blob_path = f.store.content().path(f.app.blob);
  ASSERT_EQ(::chmod(blob_path.c_str(), 0644), 0);
  ASSERT_TRUE(berth::fs::write_file_atomic(blob_path, "garbage", 0444));
  ASSERT_TRUE(f.store.layers().remove(image.chain_ids[0]));
  ASSERT_TRUE(f.store.content().remove(image.manifest));
  auto checked = f.store.check();
  ASSERT_TRUE(checked) << checked.error().what();
  auto* problems = &checked->problems;
  auto has = [&](const std::string& needle) {
    return std::any_of(problems->begin(), problems->end(), [&](const std::string& line) {
      return line.find(needle) != std::string::npos;
    });
  };
  EXPECT_TRUE(has("manifest " + image.manifest.str() + ": missing from the content store"));
  EXPECT_TRUE(has("layer blob " + f.app.blob.str() + ": corrupt"));
  EXPECT_TRUE(has("\"" + blob_path + "\": content has digest"));
  EXPECT_TRUE(has("layer " + image.chain_ids[0].str() + ": "));
  EXPECT_TRUE(has("(r/x:1)"));
  EXPECT_EQ(problems->size(), 4u);
  for (const auto& line : *problems) std::cerr << line << "\n";
}

// Two pulls of one image at once: both succeed, one copy of each layer.
TEST(ImageStore, ConcurrentAddsFromTwoProcesses) {
  Fixture f;
  std::vector<Entry> big;
  for (int i = 0; i < 100; ++i)
    big.push_back(file("f" + std::to_string(i), std::string(8192, 'y')));
  auto layer = put_layer(f.store.content(), big);
  auto image = put_image(f.store.content(), {f.base, layer});
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  pid_t children[2];
  for (int i = 0; i < 2; ++i) {
    children[i] = ::fork();
    ASSERT_GE(children[i], 0);
    if (children[i] == 0) {
      ::close(gate[1]);
      char c;
      (void)!::read(gate[0], &c, 1);
      auto store = ImageStore::open(f.dir.path, StoreOptions{::geteuid() != 0});
      if (!store) ::_exit(2);
      auto r = store->add(image.manifest, {"r/x:" + std::to_string(i)}, {});
      if (!r) {
        std::cerr << r.error().what() << "\n";
        ::_exit(3);
      }
      ::_exit(0);
    }
  }
  ::close(gate[0]);
  ::close(gate[1]);
  for (auto child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  std::vector<std::string> expected{image.chain_ids[0].hex, image.chain_ids[1].hex};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(f.layer_dirs(), expected);
  auto record = find(f.store, image.config.str());
  ASSERT_TRUE(record);
  EXPECT_EQ(record->repo_tags, (std::vector<std::string>{"r/x:0", "r/x:1"}));
  EXPECT_TRUE(f.store.check()->problems.empty());
}

// Whether pid waits for a lock, as /proc/locks shows its blocked requests ("-> FLOCK ...").
bool waits_for_lock(pid_t pid) {
  auto locks = berth::fs::read_file("/proc/locks");
  if (!locks) return false;
  std::istringstream lines(*locks);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("->") == std::string::npos) continue;
    std::istringstream fields(line.substr(line.find("->") + 2));
    std::string kind, advisory, mode, who;
    fields >> kind >> advisory >> mode >> who;
    if (kind == "FLOCK" && who == std::to_string(pid)) return true;
  }
  return false;
}

// A pull holds a lease from its first blob to add(): gc waits for it, then keeps what it added.
TEST(ImageStore, GcWaitsForLeasesAndKeepsWhatTheyAdded) {
  Fixture f;
  // Forked before the lease is taken: a child sharing the lease's open file would share its lock.
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(gate[1]);
    char c;
    (void)!::read(gate[0], &c, 1);
    auto store = ImageStore::open(f.dir.path, StoreOptions{::geteuid() != 0});
    if (!store) ::_exit(2);
    auto r = store->gc();
    ::_exit(r && r->blobs_removed == 1 ? 0 : 3);
  }
  ::close(gate[0]);
  std::optional<berth::image::StoreLease> lease;
  {
    auto taken = f.store.lease();
    ASSERT_TRUE(taken) << taken.error().what();
    lease.emplace(std::move(*taken));
  }
  auto image = put_image(f.store.content(), {f.base, f.app});
  auto stray = f.store.content().put("stray");
  ASSERT_TRUE(stray);
  ::close(gate[1]);
  while (!waits_for_lock(child)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.add(image, {"r/x:1"});
  lease.reset();
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(f.blob(*stray));
  for (const auto& d : {image.manifest, image.config, f.base.blob, f.app.blob})
    EXPECT_TRUE(f.blob(d)) << d.str();
  EXPECT_EQ(f.layer_dirs().size(), 2u);
}

TEST(ImageStore, DatabaseFileIsPrivate) {
  Fixture f;
  struct stat st;
  ASSERT_EQ(::stat(f.dir.at("berth.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
