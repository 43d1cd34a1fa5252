#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "image/digest.hpp"

namespace berth::image {

// A normalized image reference, as Docker normalizes it: "busybox" ->
// docker.io/library/busybox:latest; the first component is a domain when it has a '.' or ':' or is
// "localhost".
struct Reference {
  std::string domain;  // "docker.io", "127.0.0.1:5000", "localhost"
  std::string path;    // "library/busybox"
  std::string tag;     // "latest" when neither tag nor digest was given; "" when only a digest
  std::optional<Digest> digest;
  std::string name() const;      // domain + "/" + path
  std::string str() const;       // name()[:tag][@digest]
  std::string familiar() const;  // Docker's short form: "busybox:latest", "127.0.0.1:5000/x/y:1"
};

// Refuses upper case repository names, bad tags (Docker's rules: [\w][\w.-]{0,127}) and bad
// digests, each with a message naming the reference.
Result<Reference> parse_reference(std::string_view text);
// "docker.io/library/busybox" -> "busybox"; any full name -> its familiar form.
std::string familiar_name(std::string_view full_name);

}  // namespace berth::image
