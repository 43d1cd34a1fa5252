#include "engine/container_config.hpp"

#include <gtest/gtest.h>

namespace berth::engine {
namespace {

using nlohmann::json;

CreateRequest full_request() {
  CreateRequest r;
  auto& c = r.config;
  c.hostname = "web";
  c.domainname = "example.org";
  c.user = "app:staff";
  c.attach_stdin = c.attach_stdout = c.attach_stderr = true;
  c.exposed_ports = {"80/tcp", "53/udp"};
  c.tty = c.open_stdin = c.stdin_once = true;
  c.env = {"A=1", "B="};
  c.cmd = std::vector<std::string>{"sh", "-c", "echo hi"};
  c.image = "busybox:latest";
  c.volumes = {"/data"};
  c.working_dir = "/srv";
  c.entrypoint = std::vector<std::string>{};
  c.labels = {{"team", "infra"}};
  c.stop_signal = "SIGINT";
  c.stop_timeout = 7;
  c.healthcheck = {{"Test", {"CMD", "true"}}, {"Interval", 1000000000}};

  auto& h = r.host_config;
  h.binds = {"/srv/data:/data:ro"};
  h.log_config = {"json-file", {{"max-size", "10m"}}};
  h.network_mode = "host";
  h.restart_policy = {"on-failure", 3};
  h.auto_remove = true;
  h.cap_add = {"NET_ADMIN"};
  h.cap_drop = {"MKNOD"};
  h.cgroupns_mode = "private";
  h.dns = {"1.1.1.1"};
  h.dns_options = {"ndots:2"};
  h.dns_search = {"example.org"};
  h.extra_hosts = {"db:10.0.0.2"};
  h.group_add = {"audio", "100"};
  h.ipc_mode = "shareable";
  h.oom_score_adj = -500;
  h.pid_mode = "host";
  h.privileged = true;
  h.readonly_rootfs = true;
  h.security_opt = {"no-new-privileges", "seccomp=unconfined"};
  h.tmpfs = {{"/run", "size=64m"}};
  h.uts_mode = "host";
  h.userns_mode = "host";
  h.shm_size = 128 << 20;
  h.sysctls = {{"net.core.somaxconn", "1024"}};
  h.cpu_shares = 512;
  h.memory = 256 << 20;
  h.nano_cpus = 1500000000;
  h.cpu_period = 100000;
  h.cpu_quota = 50000;
  h.devices = {{"/dev/fuse", "/dev/fuse", "rwm"}};
  h.memory_swap = -1;
  h.pids_limit = 100;
  h.ulimits = {{"nofile", 1024, 2048}};
  MountSpec bind;
  bind.type = "bind";
  bind.source = "/etc";
  bind.target = "/host-etc";
  bind.read_only = true;
  bind.bind_options = BindOptions{"rslave", true, true, false, false, ""};
  MountSpec vol;
  vol.type = "volume";
  vol.source = "cache";
  vol.target = "/cache";
  vol.volume_options =
      VolumeOptions{true, {{"l", "v"}}, "sub", VolumeDriverConfig{"local", {{"type", "tmpfs"}}}};
  MountSpec tmp;
  tmp.type = "tmpfs";
  tmp.target = "/scratch";
  tmp.tmpfs_options = TmpfsOptions{1 << 20, 01777};
  h.mounts = {bind, vol, tmp};
  h.init = true;
  return r;
}

TEST(ContainerConfig, JsonUsesTheEngineApiFieldNames) {
  json j = create_body_to_json(full_request());
  EXPECT_EQ(j["Hostname"], "web");
  EXPECT_EQ(j["Domainname"], "example.org");
  EXPECT_EQ(j["AttachStdin"], true);
  EXPECT_EQ(j["OpenStdin"], true);
  EXPECT_EQ(j["StdinOnce"], true);
  EXPECT_EQ(j["ExposedPorts"], json({{"80/tcp", json::object()}, {"53/udp", json::object()}}));
  EXPECT_EQ(j["Volumes"], json({{"/data", json::object()}}));
  EXPECT_EQ(j["Entrypoint"], json::array());
  EXPECT_EQ(j["Cmd"], json({"sh", "-c", "echo hi"}));
  EXPECT_EQ(j["WorkingDir"], "/srv");
  EXPECT_EQ(j["StopSignal"], "SIGINT");
  EXPECT_EQ(j["StopTimeout"], 7);
  EXPECT_EQ(j["Healthcheck"]["Test"], json({"CMD", "true"}));
  const json& h = j["HostConfig"];
  EXPECT_EQ(h["Binds"], json({"/srv/data:/data:ro"}));
  EXPECT_EQ(h["LogConfig"], json({{"Type", "json-file"}, {"Config", {{"max-size", "10m"}}}}));
  EXPECT_EQ(h["RestartPolicy"], json({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
  EXPECT_EQ(h["NanoCpus"], 1500000000);
  EXPECT_EQ(h["CpuShares"], 512);
  EXPECT_EQ(h["CpuPeriod"], 100000);
  EXPECT_EQ(h["CpuQuota"], 50000);
  EXPECT_EQ(h["MemorySwap"], -1);
  EXPECT_EQ(h["PidsLimit"], 100);
  EXPECT_EQ(h["ShmSize"], 128 << 20);
  EXPECT_EQ(h["UTSMode"], "host");
  EXPECT_EQ(h["UsernsMode"], "host");
  EXPECT_EQ(h["IpcMode"], "shareable");
  EXPECT_EQ(h["PidMode"], "host");
  EXPECT_EQ(h["OomScoreAdj"], -500);
  EXPECT_EQ(h["ReadonlyRootfs"], true);
  EXPECT_EQ(h["DnsSearch"], json({"example.org"}));
  EXPECT_EQ(h["DnsOptions"], json({"ndots:2"}));
  EXPECT_EQ(h["ExtraHosts"], json({"db:10.0.0.2"}));
  EXPECT_EQ(h["Tmpfs"], json({{"/run", "size=64m"}}));
  EXPECT_EQ(h["Sysctls"], json({{"net.core.somaxconn", "1024"}}));
  EXPECT_EQ(h["Devices"][0], json({{"PathOnHost", "/dev/fuse"},
                                   {"PathInContainer", "/dev/fuse"},
                                   {"CgroupPermissions", "rwm"}}));
  EXPECT_EQ(h["Ulimits"][0], json({{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 2048}}));
  EXPECT_EQ(h["Init"], true);
  EXPECT_EQ(h["Mounts"][0]["BindOptions"],
            json({{"Propagation", "rslave"}, {"NonRecursive", true}, {"CreateMountpoint", true}}));
  EXPECT_EQ(h["Mounts"][1]["VolumeOptions"]["DriverConfig"],
            json({{"Name", "local"}, {"Options", {{"type", "tmpfs"}}}}));
  EXPECT_EQ(h["Mounts"][1]["VolumeOptions"]["NoCopy"], true);
  EXPECT_EQ(h["Mounts"][2]["TmpfsOptions"], json({{"SizeBytes", 1 << 20}, {"Mode", 01777}}));
}

TEST(ContainerConfig, RoundTrips) {
  auto r = full_request();
  json first = create_body_to_json(r);
  auto back = create_body_from_json(first);
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_EQ(create_body_to_json(*back), first);
  EXPECT_EQ(back->config.entrypoint, std::vector<std::string>{});
  EXPECT_EQ(back->host_config.mounts[1].volume_options->driver_config->options.at("type"), "tmpfs");
  EXPECT_EQ(back->host_config.pids_limit, 100);
  EXPECT_EQ(back->host_config.init, true);
  EXPECT_EQ(back->config.stop_timeout, 7);

  CreateRequest empty;
  json e = create_body_to_json(empty);
  EXPECT_TRUE(e["Cmd"].is_null());
  EXPECT_TRUE(e["Entrypoint"].is_null());
  EXPECT_TRUE(e["HostConfig"]["PidsLimit"].is_null());
  EXPECT_FALSE(e["HostConfig"].contains("Init"));
  auto empty_back = create_body_from_json(e);
  ASSERT_TRUE(empty_back) << empty_back.error().what();
  EXPECT_FALSE(empty_back->config.cmd.has_value());
  EXPECT_FALSE(empty_back->config.entrypoint.has_value());
  EXPECT_EQ(create_body_to_json(*empty_back), e);
}

TEST(ContainerConfig, ReadsWhatTheDockerCliSends) {
  // A body as `docker create` sends it, with fields berth ignores and a string Cmd.
  auto body = json::parse(R"({
    "Hostname": "", "Domainname": "", "User": "", "AttachStdin": false,
    "AttachStdout": true, "AttachStderr": true, "Tty": false, "OpenStdin": false,
    "StdinOnce": false, "Env": null, "Cmd": "echo hi", "Image": "alpine",
    "Volumes": {}, "WorkingDir": "", "Entrypoint": null, "OnBuild": null, "Labels": {},
    "HostConfig": {"Binds": null, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}},
      "NetworkMode": "default", "PortBindings": {}, "RestartPolicy": {"Name": "no",
      "MaximumRetryCount": 0}, "AutoRemove": false, "VolumeDriver": "", "VolumesFrom": null,
      "ConsoleSize": [24, 80], "CapAdd": null, "CapDrop": null, "CgroupnsMode": "",
      "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": null, "GroupAdd": null,
      "IpcMode": "", "Cgroup": "", "Links": null, "OomScoreAdj": 0, "PidMode": "",
      "Privileged": false, "PublishAllPorts": false, "ReadonlyRootfs": false,
      "SecurityOpt": null, "UTSMode": "", "UsernsMode": "", "ShmSize": 0, "Isolation": "",
      "CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CgroupParent": "", "BlkioWeight": 0,
      "CpuPeriod": 0, "CpuQuota": 0, "Devices": [], "MemorySwap": 0, "MemorySwappiness": -1,
      "OomKillDisable": false, "PidsLimit": 0, "Ulimits": [], "MaskedPaths": null},
    "NetworkingConfig": {"EndpointsConfig": {"default": {}}}
  })");
  auto r = create_body_from_json(body);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->config.cmd, std::vector<std::string>{"echo hi"});
  EXPECT_EQ(r->config.image, "alpine");
  EXPECT_EQ(r->host_config.network_mode, "default");
  EXPECT_EQ(r->host_config.restart_policy.name, "no");
  EXPECT_EQ(r->host_config.pids_limit, 0);
  EXPECT_TRUE(r->host_config.binds.empty());
}

TEST(ContainerConfig, ErrorsNameTheField) {
  struct Case {
    const char* body;
    const char* error;
  } cases[] = {
      {R"({"Env": "A=1"})", "Env: must be an array of strings"},
      {R"({"Tty": "yes"})", "Tty: must be true or false"},
      {R"({"Cmd": [1]})", "Cmd: must be an array of strings"},
      {R"({"StopTimeout": "10"})", "StopTimeout: must be an integer"},
      {R"({"Labels": {"a": 1}})", "Labels.a: must be a string"},
      {R"({"HostConfig": {"Memory": "1g"}})", "HostConfig.Memory: must be an integer"},
      {R"({"HostConfig": {"RestartPolicy": {"MaximumRetryCount": "x"}}})",
       "HostConfig.RestartPolicy.MaximumRetryCount: must be an integer"},
      {R"({"HostConfig": {"Mounts": [{"Type": "bind"}, {"Type": "tmpfs",
          "TmpfsOptions": {"SizeBytes": "1m"}}]}})",
       "HostConfig.Mounts[1].TmpfsOptions.SizeBytes: must be an integer"},
      {R"({"HostConfig": {"Ulimits": [{"Soft": 1}]}})", "HostConfig.Ulimits[0].Name: missing"},
      {R"({"HostConfig": {"Devices": [{"PathOnHost": 3}]}})",
       "HostConfig.Devices[0].PathOnHost: must be a string"},
      {R"({"HostConfig": {"Init": 1}})", "HostConfig.Init: must be true or false"},
      {R"({"HostConfig": {"OomScoreAdj": 99999999999}})", "HostConfig.OomScoreAdj: out of range"},
      {R"({"HostConfig": []})", "HostConfig: must be an object"},
  };
  for (const auto& c : cases) {
    auto r = create_body_from_json(json::parse(c.body));
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error().what(), c.error) << c.body;
  }
}

}  // namespace
}  // namespace berth::engine
