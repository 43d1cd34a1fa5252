#include <gtest/gtest.h>

#include "engine/daemon_config.hpp"

using berth::engine::parse_daemon_config;

TEST(DaemonConfig, DockerKeysAreRead) {
  auto c = parse_daemon_config(R"({"data-root": "/srv/berth", "insecure-registries": ["r:5000"],
      "userns-remap": "default", "max-concurrent-downloads": 6, "debug": true,
      "storage-driver": "overlay2", "log-opts": {"max-size": "10m"}})",
                               "/etc/berth/daemon.json");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->data_root, "/srv/berth");
  EXPECT_EQ(c->insecure_registries, std::vector<std::string>{"r:5000"});
  EXPECT_EQ(c->userns_remap, "default");
  EXPECT_EQ(c->max_concurrent_downloads, 6);
  EXPECT_TRUE(c->debug);
}

TEST(DaemonConfig, ErrorsNameTheFileAndTheKey) {
  auto unknown = parse_daemon_config(R"({"no-such-key": 1})", "/x/daemon.json");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().what(),
            "daemon config \"/x/daemon.json\": no-such-key: unknown configuration key");
  auto type = parse_daemon_config(R"({"data-root": 5})", "/x/daemon.json");
  ASSERT_FALSE(type);
  EXPECT_NE(type.error().what().find("data-root"), std::string::npos) << type.error().what();
  auto relative = parse_daemon_config(R"({"exec-root": "run/berth"})", "/x/daemon.json");
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().what().find("absolute"), std::string::npos);
  auto syntax = parse_daemon_config("{\"debug\": tru}", "/x/daemon.json");
  ASSERT_FALSE(syntax);
  EXPECT_NE(syntax.error().what().find("/x/daemon.json"), std::string::npos);
  auto range = parse_daemon_config(R"({"max-concurrent-uploads": 0})", "/x/daemon.json");
  ASSERT_FALSE(range);
}
