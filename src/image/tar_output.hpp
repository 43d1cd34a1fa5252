#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "image/archive_io.hpp"

namespace berth::image {

// A tar written to an fd as it is built (pax where ustar falls short), each member owned by root,
// dated at the epoch, so that the same images give the same bytes.
class TarOutput {
 public:
  static Result<TarOutput> open(int fd);

  Status add_directory(const std::string& name);
  Status add_file(const std::string& name, std::string_view data);
  // A member of a size known in advance, whose content fill() hands to its sink; anything but
  // exactly size bytes is an error.
  using Sink = std::function<Status(std::string_view)>;
  Status add_stream(const std::string& name, uint64_t size,
                    const std::function<Status(const Sink&)>& fill);
  // Writes the end of the archive.
  Status close();

 private:
  explicit TarOutput(ArchiveWritePtr a) : a_(std::move(a)) {}
  Status header(const std::string& name, unsigned type, unsigned perm, uint64_t size);

  ArchiveWritePtr a_;
};

}  // namespace berth::image
