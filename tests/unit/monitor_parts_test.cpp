#include <gtest/gtest.h>

#include <chrono>

#include "engine/container_state.hpp"
#include "engine/etc_files.hpp"
#include "monitor/attach_frame.hpp"
#include "monitor/restart_policy.hpp"

namespace berth {
namespace {

using namespace std::chrono_literals;

TEST(RestartPolicy, FollowsDockersRules) {
  monitor::RestartPolicy no{"no", 0}, always{"always", 0}, unless{"unless-stopped", 0};
  monitor::RestartPolicy on_failure{"on-failure", 2}, unlimited{"on-failure", 0};
  EXPECT_FALSE(monitor::should_restart(no, 1, 0, false));
  EXPECT_TRUE(monitor::should_restart(always, 0, 100, false));
  EXPECT_TRUE(monitor::should_restart(unless, 0, 0, false));
  EXPECT_FALSE(monitor::should_restart(always, 1, 0, true));  // stopped by hand
  EXPECT_FALSE(monitor::should_restart(on_failure, 0, 0, false));
  EXPECT_TRUE(monitor::should_restart(on_failure, 3, 1, false));
  EXPECT_FALSE(monitor::should_restart(on_failure, 3, 2, false));
  EXPECT_TRUE(monitor::should_restart(unlimited, 3, 1000, false));
}

TEST(RestartPolicy, DelayDoublesUpToAMinuteAndResetsAfterALongRun) {
  EXPECT_EQ(monitor::restart_delay(0ms, 0ms), 100ms);
  EXPECT_EQ(monitor::restart_delay(100ms, 1s), 200ms);
  EXPECT_EQ(monitor::restart_delay(40s, 1s), 60s);
  EXPECT_EQ(monitor::restart_delay(60s, 1s), 60s);
  EXPECT_EQ(monitor::restart_delay(60s, 10s), 100ms);
}

TEST(AttachFrame, RoundTripsInPieces) {
  std::string bytes = monitor::encode_frame(monitor::FrameType::stdout_data, "hello") +
                      monitor::encode_frame(monitor::FrameType::exit, "137");
  ASSERT_EQ(bytes.size(), 2 * monitor::kFrameHeaderSize + 8);
  EXPECT_EQ(bytes[0], 1);  // Docker's stdout stream number
  monitor::FrameReader reader;
  for (char c : bytes.substr(0, 10)) reader.feed(std::string_view(&c, 1));
  auto none = reader.next();
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  reader.feed(bytes.substr(10));
  auto first = reader.next();
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->type, monitor::FrameType::stdout_data);
  EXPECT_EQ((*first)->payload, "hello");
  auto second = reader.next();
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->type, monitor::FrameType::exit);
  EXPECT_EQ((*second)->payload, "137");
}

TEST(AttachFrame, RefusesAnOversizedFrame) {
  std::string header(monitor::kFrameHeaderSize, '\0');
  header[0] = 1;
  header[4] = 0x7f;  // ~2 GiB
  monitor::FrameReader reader;
  reader.feed(header);
  EXPECT_FALSE(reader.next());
}

TEST(AttachFrame, HelloFlags) {
  monitor::AttachHello h;
  h.stdin_ = true;
  h.stderr_ = true;
  h.cleanup = true;
  auto back = monitor::decode_hello(monitor::encode_hello(h));
  EXPECT_TRUE(back.stdin_);
  EXPECT_FALSE(back.stdout_);
  EXPECT_TRUE(back.stderr_);
  EXPECT_TRUE(back.cleanup);
}

TEST(EtcFiles, ResolvConfDropsLoopbackNameserversOutsideTheHostNetwork) {
  engine::HostConfig host;
  std::string host_conf = "nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch example.org\n";
  EXPECT_EQ(engine::resolv_conf_content(host, host_conf),
            "search example.org\nnameserver 10.0.0.2\n");
  host.network_mode = "host";
  EXPECT_EQ(engine::resolv_conf_content(host, host_conf),
            "search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n");
  host.network_mode = "none";
  EXPECT_EQ(engine::resolv_conf_content(host, "nameserver 127.0.0.1\n"),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  host.dns = {"1.1.1.1"};
  host.dns_options = {"ndots:2"};
  EXPECT_EQ(engine::resolv_conf_content(host, host_conf),
            "search example.org\nnameserver 1.1.1.1\noptions ndots:2\n");
}

TEST(EtcFiles, HostsHaveLocalhostExtraHostsAndTheHostname) {
  engine::ContainerConfig config;
  config.hostname = "abc";
  engine::HostConfig host;
  host.extra_hosts = {"db:10.1.2.3", "v6:::1"};
  auto hosts = engine::hosts_content(config, host, "ignored");
  EXPECT_NE(hosts.find("127.0.0.1\tlocalhost\n"), std::string::npos);
  EXPECT_NE(hosts.find("10.1.2.3\tdb\n"), std::string::npos);
  EXPECT_NE(hosts.find("::1\tv6\n"), std::string::npos);
  EXPECT_NE(hosts.find("127.0.0.1\tabc\n"), std::string::npos);
  host.network_mode = "host";
  EXPECT_EQ(engine::hosts_content(config, host, "1.2.3.4 h\n").rfind("1.2.3.4 h\n", 0), 0u);
}

TEST(ContainerState, StatusesAsDockerShowsThem) {
  auto s = engine::created_state();
  EXPECT_EQ(engine::status_of(s), "created");
  EXPECT_FALSE(engine::is_active(s));
  engine::mark_running(s, 42, "2026-01-01T00:00:00Z", 41, 7, 0);
  EXPECT_TRUE(engine::is_running(s));
  EXPECT_EQ(engine::pid_of(s), 42);
  engine::mark_paused(s, true);
  EXPECT_EQ(s["Paused"], true);
  EXPECT_TRUE(engine::is_active(s));
  monitor::ExitRecord e;
  e.exit_code = 3;
  e.finished_at = "2026-01-01T00:00:01Z";
  e.restart_count = 2;
  engine::mark_exited(s, e);
  EXPECT_EQ(engine::status_of(s), "exited");
  EXPECT_EQ(engine::exit_code_of(s), 3);
  EXPECT_EQ(engine::restart_count_of(s), 2);
  EXPECT_FALSE(s.contains("MonitorPid"));
  EXPECT_EQ(s["Running"], false);
}

}  // namespace
}  // namespace berth
