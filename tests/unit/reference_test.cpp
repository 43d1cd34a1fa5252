#include "image/reference.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

using berth::image::familiar_name;
using berth::image::parse_reference;

namespace {

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Good {
  std::string text;
  std::string domain;
  std::string path;
  std::string tag;
  std::string digest;  // "" for none
  std::string str;
  std::string familiar;
};

void PrintTo(const Good& g, std::ostream* os) {
  *os << g.text;
}

class ReferenceGoodTest : public ::testing::TestWithParam<Good> {};

TEST_P(ReferenceGoodTest, Normalizes) {
  const Good& g = GetParam();
  auto r = parse_reference(g.text);
  ASSERT_TRUE(r) << g.text << ": " << r.error().what();
  EXPECT_EQ(r->domain, g.domain) << g.text;
  EXPECT_EQ(r->path, g.path) << g.text;
  EXPECT_EQ(r->tag, g.tag) << g.text;
  EXPECT_EQ(r->digest ? r->digest->str() : "", g.digest) << g.text;
  EXPECT_EQ(r->name(), g.domain + "/" + g.path) << g.text;
  EXPECT_EQ(r->str(), g.str) << g.text;
  EXPECT_EQ(r->familiar(), g.familiar) << g.text;
  // The normalized forms parse back to the same reference.
  for (const auto& again : {r->str(), r->familiar()}) {
    auto r2 = parse_reference(again);
    ASSERT_TRUE(r2) << again << ": " << r2.error().what();
    EXPECT_EQ(r2->str(), r->str()) << again;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ReferenceGoodTest,
    ::testing::Values(
        Good{"busybox", "docker.io", "library/busybox", "latest", "",
             "docker.io/library/busybox:latest", "busybox:latest"},
        Good{"busybox:1.36", "docker.io", "library/busybox", "1.36", "",
             "docker.io/library/busybox:1.36", "busybox:1.36"},
        Good{"library/busybox", "docker.io", "library/busybox", "latest", "",
             "docker.io/library/busybox:latest", "busybox:latest"},
        Good{"docker.io/busybox", "docker.io", "library/busybox", "latest", "",
             "docker.io/library/busybox:latest", "busybox:latest"},
        Good{"index.docker.io/library/busybox:musl", "docker.io", "library/busybox", "musl", "",
             "docker.io/library/busybox:musl", "busybox:musl"},
        Good{"foo/bar", "docker.io", "foo/bar", "latest", "", "docker.io/foo/bar:latest",
             "foo/bar:latest"},
        Good{"library/a/b", "docker.io", "library/a/b", "latest", "",
             "docker.io/library/a/b:latest", "library/a/b:latest"},
        Good{"localhost/foo", "localhost", "foo", "latest", "", "localhost/foo:latest",
             "localhost/foo:latest"},
        Good{"localhost:5000/foo/bar:v1", "localhost:5000", "foo/bar", "v1", "",
             "localhost:5000/foo/bar:v1", "localhost:5000/foo/bar:v1"},
        Good{"127.0.0.1:5000/x/y:1", "127.0.0.1:5000", "x/y", "1", "", "127.0.0.1:5000/x/y:1",
             "127.0.0.1:5000/x/y:1"},
        Good{"quay.io/coreos/etcd", "quay.io", "coreos/etcd", "latest", "",
             "quay.io/coreos/etcd:latest", "quay.io/coreos/etcd:latest"},
        Good{"Registry.Example.com:443/ns/repo:Tag_1.x-y", "Registry.Example.com:443", "ns/repo",
             "Tag_1.x-y", "", "Registry.Example.com:443/ns/repo:Tag_1.x-y",
             "Registry.Example.com:443/ns/repo:Tag_1.x-y"},
        Good{"[::1]:5000/foo", "[::1]:5000", "foo", "latest", "", "[::1]:5000/foo:latest",
             "[::1]:5000/foo:latest"},
        Good{"busybox@sha256:" + kHex, "docker.io", "library/busybox", "", "sha256:" + kHex,
             "docker.io/library/busybox@sha256:" + kHex, "busybox@sha256:" + kHex},
        Good{"busybox:1@sha256:" + kHex, "docker.io", "library/busybox", "1", "sha256:" + kHex,
             "docker.io/library/busybox:1@sha256:" + kHex, "busybox:1@sha256:" + kHex},
        Good{"localhost:5000/a@sha256:" + kHex, "localhost:5000", "a", "", "sha256:" + kHex,
             "localhost:5000/a@sha256:" + kHex, "localhost:5000/a@sha256:" + kHex},
        // "localhost:5000" alone has no '/': a Docker Hub repository with a tag, as Docker reads
        // it.
        Good{"localhost:5000", "docker.io", "library/localhost", "5000", "",
             "docker.io/library/localhost:5000", "localhost:5000"},
        Good{"a.b-c_d__e", "docker.io", "library/a.b-c_d__e", "latest", "",
             "docker.io/library/a.b-c_d__e:latest", "a.b-c_d__e:latest"},
        Good{"a---b/c-d", "docker.io", "a---b/c-d", "latest", "", "docker.io/a---b/c-d:latest",
             "a---b/c-d:latest"},
        Good{"x:_", "docker.io", "library/x", "_", "", "docker.io/library/x:_", "x:_"},
        Good{"x:" + std::string(128, 'a'), "docker.io", "library/x", std::string(128, 'a'), "",
             "docker.io/library/x:" + std::string(128, 'a'), "x:" + std::string(128, 'a')},
        Good{"docker.io/foo.com/bar", "docker.io", "foo.com/bar", "latest", "",
             "docker.io/foo.com/bar:latest", "docker.io/foo.com/bar:latest"}));

struct Bad {
  std::string text;
  std::string message;  // a part of the error
};

void PrintTo(const Bad& b, std::ostream* os) {
  *os << b.text;
}

class ReferenceBadTest : public ::testing::TestWithParam<Bad> {};

TEST_P(ReferenceBadTest, IsRefusedNamingTheReference) {
  const Bad& b = GetParam();
  auto r = parse_reference(b.text);
  ASSERT_FALSE(r) << b.text << " parsed as " << r->str();
  EXPECT_NE(r.error().what().find("\"" + b.text + "\""), std::string::npos) << r.error().what();
  EXPECT_NE(r.error().what().find(b.message), std::string::npos) << r.error().what();
}

INSTANTIATE_TEST_SUITE_P(
    Table, ReferenceBadTest,
    ::testing::Values(Bad{"", "empty"}, Bad{"Busybox", "must be lowercase"},
                      Bad{"example.com/Foo/bar", "must be lowercase"},
                      Bad{"foo/Bar:1", "must be lowercase"}, Bad{":tag", "no repository name"},
                      Bad{"busybox:", "invalid tag"}, Bad{"busybox:.x", "invalid tag"},
                      Bad{"busybox:-x", "invalid tag"}, Bad{"busybox:a/b", "invalid registry host"},
                      Bad{"busybox:" + std::string(129, 'a'), "invalid tag"},
                      Bad{"busybox:a+b", "invalid tag"},
                      Bad{"busybox@sha256:abc", "invalid sha256 digest"},
                      Bad{"busybox@md5:" + kHex.substr(0, 32), "unsupported digest algorithm"},
                      Bad{"busybox@", "invalid digest"},
                      Bad{"a//b", "invalid repository name component"},
                      Bad{"a/", "invalid repository name component"},
                      Bad{"/a", "invalid repository name component"},
                      Bad{"a_", "invalid repository name component"},
                      Bad{"_a", "invalid repository name component"},
                      Bad{"a..b", "invalid repository name component"},
                      Bad{"a___b", "invalid repository name component"},
                      Bad{"a-_b", "invalid repository name component"},
                      Bad{"foo bar", "invalid repository name component"},
                      Bad{"example.com:port/foo", "invalid registry host"},
                      Bad{"exa_mple.com/foo", "invalid registry host"},
                      Bad{"-x.com/foo", "invalid registry host"}, Bad{kHex, "image id"},
                      Bad{"example.com/" + std::string(250, 'a'), "longer than 255"}));

TEST(FamiliarName, ShortensDockerHubNames) {
  EXPECT_EQ(familiar_name("docker.io/library/busybox"), "busybox");
  EXPECT_EQ(familiar_name("docker.io/library/busybox:1"), "busybox:1");
  EXPECT_EQ(familiar_name("docker.io/foo/bar"), "foo/bar");
  EXPECT_EQ(familiar_name("docker.io/library/a/b"), "library/a/b");
  EXPECT_EQ(familiar_name("docker.io/foo.com/bar"), "docker.io/foo.com/bar");
  EXPECT_EQ(familiar_name("quay.io/a/b"), "quay.io/a/b");
  EXPECT_EQ(familiar_name("127.0.0.1:5000/test"), "127.0.0.1:5000/test");
}

}  // namespace
