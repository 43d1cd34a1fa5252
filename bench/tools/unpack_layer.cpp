// berth-bench-unpack LAYER TARGET: unpacks one layer tarball with berth's unpack, for
// bench/unpack.py to time against `tar -x` of the same file.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "base/syscalls.hpp"
#include "image/unpack.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: berth-bench-unpack LAYER TARGET\n");
    return 2;
  }
  auto fd = berth::sys::open(argv[1], O_RDONLY);
  if (!fd) {
    std::fprintf(stderr, "berth-bench-unpack: %s\n", fd.error().what().c_str());
    return 1;
  }
  berth::image::UnpackOptions opts;
  opts.keep_ownership = ::geteuid() == 0;
  auto stats = berth::image::unpack_layer(fd->get(), argv[2], opts);
  if (!stats) {
    std::fprintf(stderr, "berth-bench-unpack: %s\n", stats.error().what().c_str());
    return 1;
  }
  return 0;
}
