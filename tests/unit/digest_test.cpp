#include "image/digest.hpp"

#include <gtest/gtest.h>

using berth::image::parse_digest;
using berth::image::sha256_of;

TEST(Digest, Sha256OfKnownInputs) {
  EXPECT_EQ(sha256_of("").str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_of("abc").hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, ParseAcceptsSha256Only) {
  auto d = parse_digest("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->hex.size(), 64u);
  EXPECT_EQ(parse_digest("sha512:abcd").error().message,
            "unsupported digest algorithm \"sha512\" in \"sha512:abcd\"");
  EXPECT_FALSE(parse_digest("sha256:ABCD"));
  EXPECT_FALSE(parse_digest("sha256:../../etc"));
  EXPECT_FALSE(parse_digest("nocolon"));
}
