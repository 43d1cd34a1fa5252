#include "engine/container_names.hpp"

#include <sys/random.h>

#include <array>
#include <cctype>

namespace berth::engine {
namespace {

constexpr std::array<std::string_view, 40> kAdjectives = {
    "able",   "amber",  "bold",   "brave",   "brisk", "calm",   "clever", "coastal",
    "crisp",  "daring", "deep",   "eager",   "fair",  "fleet",  "gentle", "glad",
    "golden", "hardy",  "keen",   "kind",    "light", "lively", "loyal",  "mellow",
    "merry",  "nimble", "noble",  "patient", "proud", "quick",  "quiet",  "rapid",
    "serene", "sharp",  "silver", "steady",  "stout", "swift",  "true",   "vivid"};
constexpr std::array<std::string_view, 40> kNouns = {
    "anchor",   "barge",   "beacon", "bollard", "brig", "buoy",     "capstan", "clipper",
    "corvette", "cutter",  "dinghy", "dock",    "dory", "ferry",    "frigate", "galleon",
    "harbor",   "hawser",  "jetty",  "junk",    "keel", "ketch",    "launch",  "lighter",
    "lugger",   "mooring", "pier",   "pilot",   "quay", "schooner", "skiff",   "sloop",
    "smack",    "steamer", "tender", "trawler", "tug",  "wharf",    "yacht",   "yawl"};

uint64_t random_u64() {
  uint64_t v = 0;
  while (::getrandom(&v, sizeof(v), 0) != static_cast<ssize_t>(sizeof(v))) {
  }
  return v;
}

}  // namespace

std::string random_container_name() {
  uint64_t r = random_u64();
  return std::string(kAdjectives[r % kAdjectives.size()]) + "_" +
         std::string(kNouns[(r / kAdjectives.size()) % kNouns.size()]);
}

Result<std::string> check_container_name(std::string_view name) {
  if (name.starts_with('/')) name.remove_prefix(1);
  auto ok_first = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  auto ok_rest = [&](char c) { return ok_first(c) || c == '_' || c == '.' || c == '-'; };
  bool ok = name.size() >= 2 && ok_first(name[0]);
  for (size_t i = 1; ok && i < name.size(); ++i) ok = ok_rest(name[i]);
  if (!ok)
    return fail_msg("Invalid container name (" + std::string(name) +
                    "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  return std::string(name);
}

std::string new_container_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  for (;;) {
    std::string id;
    for (int i = 0; i < 4; ++i) {
      uint64_t r = random_u64();
      for (int j = 0; j < 16; ++j) id += kHex[(r >> (4 * j)) & 0xf];
    }
    bool all_digits = true;
    for (char c : id.substr(0, 12)) all_digits = all_digits && c <= '9';
    if (!all_digits) return id;
  }
}

}  // namespace berth::engine
