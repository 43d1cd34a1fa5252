#include "cli/berth/container_flags.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/fs.hpp"
#include "cli/berth/container_flag_values.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;

struct TempFiles {
  std::string dir;
  TempFiles() {
    char tmpl[] = "/tmp/berth-flags-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~TempFiles() { (void)fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir + "/" + name) << text;
    return dir + "/" + name;
  }
};

// `berth run ARGS...` through CLI11 and to_create_request: the create body, or the error.
Result<json> request(std::vector<std::string> argv, bool run = true) {
  CLI::App app;
  ContainerFlags flags;
  add_container_flags(app, flags, run);
  argv.insert(argv.begin(), "berth");
  std::vector<const char*> raw;
  for (const auto& a : argv) raw.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(raw.size()), raw.data());
  } catch (const CLI::ParseError& e) {
    return fail_msg(std::string("parse: ") + e.what());
  }
  auto split = image_and_command(app.remaining(), run ? "run" : "create");
  if (!split) return fail(split.error());
  auto r = to_create_request(flags, split->image, split->command);
  if (!r) return fail(r.error());
  json body = engine::create_body_to_json(*r);
  body["(name)"] = r->name;
  return body;
}

TEST(ContainerFlags, ToCreateRequest) {
  TempFiles files;
  std::string env_file = files.write("env",
                                     "\xEF\xBB\xBF# comment\n\n  FROM_FILE=1\nSHARED=file\n"
                                     "BERTH_TEST_LOOKUP\nBERTH_TEST_UNSET\n");
  std::string label_file = files.write("labels", "team=infra\nbare\n");
  ::setenv("BERTH_TEST_LOOKUP", "looked-up", 1);
  ::unsetenv("BERTH_TEST_UNSET");
  std::string cwd = std::filesystem::current_path().string();

  struct Case {
    std::vector<std::string> argv;
    std::vector<std::pair<std::string, json>> expect;  // JSON pointer -> value
  } cases[] = {
      {{"busybox"},
       {{"/Image", "busybox"},
        {"/Cmd", nullptr},
        {"/Entrypoint", nullptr},
        {"/AttachStdout", true},
        {"/AttachStderr", true},
        {"/AttachStdin", false},
        {"/HostConfig/NetworkMode", "default"},
        {"/HostConfig/RestartPolicy", {{"Name", ""}, {"MaximumRetryCount", 0}}},
        {"/HostConfig/PidsLimit", nullptr}}},
      {{"busybox", "sh", "-c", "echo -e hi"}, {{"/Cmd", {"sh", "-c", "echo -e hi"}}}},
      {{"-it", "--rm", "--name", "web", "busybox"},
       {{"/Tty", true},
        {"/OpenStdin", true},
        {"/AttachStdin", true},
        {"/StdinOnce", true},
        {"/HostConfig/AutoRemove", true},
        {"/(name)", "web"}}},
      {{"-d", "-i", "busybox"},
       {{"/AttachStdin", false},
        {"/AttachStdout", false},
        {"/AttachStderr", false},
        {"/StdinOnce", false},
        {"/OpenStdin", true}}},
      {{"-a", "STDERR", "busybox"}, {{"/AttachStdout", false}, {"/AttachStderr", true}}},
      {{"--entrypoint", "", "busybox", "ls"}, {{"/Entrypoint", {""}}, {"/Cmd", {"ls"}}}},
      {{"--entrypoint", "/bin/sh -c", "busybox"}, {{"/Entrypoint", {"/bin/sh -c"}}}},
      {{"--env-file", env_file, "-e", "SHARED=flag", "-e", "BERTH_TEST_LOOKUP", "-e",
        "BERTH_TEST_UNSET", "busybox"},
       {{"/Env",
         {"FROM_FILE=1", "SHARED=file", "BERTH_TEST_LOOKUP=looked-up", "SHARED=flag",
          "BERTH_TEST_LOOKUP=looked-up", "BERTH_TEST_UNSET"}}}},
      {{"-w", "/srv", "-u", "app:staff", "--group-add", "audio", "--group-add", "10", "-h", "box",
        "--domainname", "example.org", "busybox"},
       {{"/WorkingDir", "/srv"},
        {"/User", "app:staff"},
        {"/HostConfig/GroupAdd", {"audio", "10"}},
        {"/Hostname", "box"},
        {"/Domainname", "example.org"}}},
      {{"-v", "/srv/data:/data:ro", "-v", "named:/db", "-v", "/anon", "-v", "./rel:/rel",
        "busybox"},
       {{"/HostConfig/Binds", {"/srv/data:/data:ro", "named:/db", cwd + "/rel:/rel"}},
        {"/Volumes", {{"/anon", json::object()}}}}},
      {{"--mount", "type=bind,src=/etc,dst=/host-etc,readonly,bind-propagation=rslave", "--mount",
        "type=volume,source=cache,target=/cache,volume-nocopy,volume-opt=type=tmpfs,"
        "volume-opt=device=tmpfs,volume-label=a=b",
        "--mount", "type=tmpfs,destination=/scratch,tmpfs-size=64m,tmpfs-mode=1770", "--mount",
        "target=/anon-vol", "busybox"},
       {{"/HostConfig/Mounts/0",
         {{"Type", "bind"},
          {"Source", "/etc"},
          {"Target", "/host-etc"},
          {"ReadOnly", true},
          {"BindOptions", {{"Propagation", "rslave"}}}}},
        {"/HostConfig/Mounts/1/VolumeOptions", json::parse(R"({"NoCopy": true, "Labels": {"a": "b"},
                         "DriverConfig": {"Options": {"type": "tmpfs", "device": "tmpfs"}}})")},
        {"/HostConfig/Mounts/2/TmpfsOptions", {{"SizeBytes", 64 << 20}, {"Mode", 01770}}},
        {"/HostConfig/Mounts/3/Type", "volume"}}},
      {{"--tmpfs", "/run", "--tmpfs", "/tmp:size=64m,exec", "busybox"},
       {{"/HostConfig/Tmpfs", {{"/run", ""}, {"/tmp", "size=64m,exec"}}}}},
      {{"--read-only", "--privileged", "--cap-add", "net_admin", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined",
        "--security-opt", "apparmor=unconfined", "busybox"},
       {{"/HostConfig/ReadonlyRootfs", true},
        {"/HostConfig/Privileged", true},
        {"/HostConfig/CapAdd", {"net_admin"}},
        {"/HostConfig/CapDrop", {"ALL"}},
        {"/HostConfig/SecurityOpt",
         {"no-new-privileges", "seccomp=unconfined", "apparmor=unconfined"}}}},
      {{"--device", "/dev/fuse", "--device", "/dev/sda:/dev/xvda:r", "--device", "/dev/null:rw",
        "busybox"},
       {{"/HostConfig/Devices",
         {{{"PathOnHost", "/dev/fuse"},
           {"PathInContainer", "/dev/fuse"},
           {"CgroupPermissions", "rwm"}},
          {{"PathOnHost", "/dev/sda"},
           {"PathInContainer", "/dev/xvda"},
           {"CgroupPermissions", "r"}},
          {{"PathOnHost", "/dev/null"},
           {"PathInContainer", "/dev/null"},
           {"CgroupPermissions", "rw"}}}}}},
      {{"-m", "512m", "--memory-swap", "1g", "--cpus", "1.5", "-c", "512", "--pids-limit", "100",
        "--shm-size", "128M", "--oom-score-adj", "-500", "busybox"},
       {{"/HostConfig/Memory", 512 << 20},
        {"/HostConfig/MemorySwap", 1 << 30},
        {"/HostConfig/NanoCpus", 1500000000},
        {"/HostConfig/CpuShares", 512},
        {"/HostConfig/PidsLimit", 100},
        {"/HostConfig/ShmSize", 128 << 20},
        {"/HostConfig/OomScoreAdj", -500}}},
      {{"--memory-swap", "-1", "--cpus", "0.01", "--cpu-period", "50000", "--cpu-quota", "25000",
        "busybox"},
       {{"/HostConfig/MemorySwap", -1},
        {"/HostConfig/NanoCpus", 10000000},
        {"/HostConfig/CpuPeriod", 50000},
        {"/HostConfig/CpuQuota", 25000}}},
      {{"--ulimit", "nofile=1024:2048", "--ulimit", "core=-1", "--ulimit", "nofile=10", "busybox"},
       {{"/HostConfig/Ulimits",
         {{{"Name", "nofile"}, {"Soft", 10}, {"Hard", 10}},
          {{"Name", "core"}, {"Soft", -1}, {"Hard", -1}}}}}},
      {{"--sysctl", "net.core.somaxconn=1024", "--sysctl", "kernel.shmmax=100", "busybox"},
       {{"/HostConfig/Sysctls", {{"net.core.somaxconn", "1024"}, {"kernel.shmmax", "100"}}}}},
      {{"--init", "busybox"}, {{"/HostConfig/Init", true}}},
      {{"--init=false", "busybox"}, {{"/HostConfig/Init", false}}},
      {{"--restart", "on-failure:3", "busybox"},
       {{"/HostConfig/RestartPolicy", {{"Name", "on-failure"}, {"MaximumRetryCount", 3}}}}},
      {{"--restart", "unless-stopped", "busybox"},
       {{"/HostConfig/RestartPolicy/Name", "unless-stopped"}}},
      {{"--stop-signal", "SIGINT", "--stop-timeout", "30", "-l", "a=1", "--label", "b",
        "--label-file", label_file, "busybox"},
       {{"/StopSignal", "SIGINT"},
        {"/StopTimeout", 30},
        {"/Labels", {{"a", "1"}, {"b", ""}, {"team", "infra"}}}}},
      {{"--network", "host", "--pid", "host", "--ipc", "shareable", "--uts", "host", "--userns",
        "host", "busybox"},
       {{"/HostConfig/NetworkMode", "host"},
        {"/HostConfig/PidMode", "host"},
        {"/HostConfig/IpcMode", "shareable"},
        {"/HostConfig/UTSMode", "host"},
        {"/HostConfig/UsernsMode", "host"}}},
      {{"--net", "none", "busybox"}, {{"/HostConfig/NetworkMode", "none"}}},
      {{"--dns", "1.1.1.1", "--dns", "::1", "--dns-search", "example.org", "--dns-option",
        "ndots:2", "--add-host", "db:10.0.0.2", "--add-host", "v6=[::1]", "--add-host",
        "gw:host-gateway", "busybox"},
       {{"/HostConfig/Dns", {"1.1.1.1", "::1"}},
        {"/HostConfig/DnsSearch", {"example.org"}},
        {"/HostConfig/DnsOptions", {"ndots:2"}},
        {"/HostConfig/ExtraHosts", {"db:10.0.0.2", "v6:::1", "gw:host-gateway"}}}},
      {{"--expose", "80", "--expose", "5000-5001/udp", "busybox"},
       {{"/ExposedPorts",
         {{"80/tcp", json::object()},
          {"5000/udp", json::object()},
          {"5001/udp", json::object()}}}}},
      {{"--log-driver", "json-file", "--log-opt", "max-size=10m", "--log-opt", "max-file=3",
        "busybox"},
       {{"/HostConfig/LogConfig",
         {{"Type", "json-file"}, {"Config", {{"max-size", "10m"}, {"max-file", "3"}}}}}}},
  };
  for (const auto& c : cases) {
    auto body = request(c.argv);
    std::string label;
    for (const auto& a : c.argv) label += a + " ";
    ASSERT_TRUE(body) << label << ": " << body.error().what();
    for (const auto& [pointer, value] : c.expect) {
      json::json_pointer ptr(pointer);
      ASSERT_TRUE(body->contains(ptr)) << label << pointer << "\n" << body->dump(2);
      EXPECT_EQ(body->at(ptr), value) << label << pointer;
    }
  }
  ::unsetenv("BERTH_TEST_LOOKUP");
}

TEST(ContainerFlags, SeccompFileIsSentAsItsContents) {
  TempFiles files;
  auto path = files.write("profile.json", "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n");
  auto body = request({"--security-opt", "seccomp=" + path, "busybox"});
  ASSERT_TRUE(body) << body.error().what();
  EXPECT_EQ(body->at("/HostConfig/SecurityOpt"_json_pointer),
            json({"seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"}));
  auto missing = request({"--security-opt", "seccomp=" + files.dir + "/none.json", "busybox"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().what(), "opening seccomp profile (" + files.dir +
                                        "/none.json) failed: open \"" + files.dir +
                                        "/none.json\": no such file or directory");
}

TEST(ContainerFlags, BadValuesNameTheFlag) {
  struct Case {
    std::vector<std::string> argv;
    std::string error;
  } cases[] = {
      {{"-m", "12x"}, "invalid argument \"12x\" for \"-m, --memory\" flag: invalid size: '12x'"},
      {{"--memory-swap", "lots"},
       "invalid argument \"lots\" for \"--memory-swap\" flag: invalid size: 'lots'"},
      {{"--shm-size", "-5"}, "invalid argument \"-5\" for \"--shm-size\" flag: invalid size: '-5'"},
      {{"--cpus", "one"},
       "invalid argument \"one\" for \"--cpus\" flag: failed to parse one as a rational number"},
      {{"--cpus", "0.0000000001"},
       "invalid argument \"0.0000000001\" for \"--cpus\" flag: value is too precise to be "
       "converted to nano cpus"},
      {{"-c", "x"},
       "invalid argument \"x\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"x\": "
       "invalid syntax"},
      {{"--pids-limit", "1.5"},
       "invalid argument \"1.5\" for \"--pids-limit\" flag: strconv.ParseInt: parsing \"1.5\": "
       "invalid syntax"},
      {{"--ulimit", "nofile"},
       "invalid argument \"nofile\" for \"--ulimit\" flag: invalid ulimit "
       "argument: nofile"},
      {{"--ulimit", "files=1"},
       "invalid argument \"files=1\" for \"--ulimit\" flag: invalid ulimit type: files"},
      {{"--ulimit", "nofile=10:5"},
       "invalid argument \"nofile=10:5\" for \"--ulimit\" flag: ulimit soft limit must be less "
       "than or equal to hard limit: 10 > 5"},
      {{"--device", "/dev/sda:/dev/xvda:rwx"},
       "invalid argument \"/dev/sda:/dev/xvda:rwx\" for \"--device\" flag: bad mode specified: "
       "rwx"},
      {{"--device", "/dev/sda:xvda"},
       "invalid argument \"/dev/sda:xvda\" for \"--device\" flag: xvda is not an absolute path"},
      {{"--restart", "sometimes"},
       "invalid argument \"sometimes\" for \"--restart\" flag: invalid restart policy: unknown "
       "policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"},
      {{"--restart", "always:3"},
       "invalid argument \"always:3\" for \"--restart\" flag: invalid restart policy: maximum "
       "retry count can only be used with 'on-failure'"},
      {{"--restart", "on-failure:x"},
       "invalid argument \"on-failure:x\" for \"--restart\" flag: invalid restart policy format: "
       "maximum retry count must be an integer"},
      {{"--restart", "always", "--rm"},
       "conflicting options: cannot specify both --restart and --rm"},
      {{"--stop-signal", "SIGFOO"},
       "invalid argument \"SIGFOO\" for \"--stop-signal\" flag: invalid signal: SIGFOO"},
      {{"--stop-timeout", "soon"},
       "invalid argument \"soon\" for \"--stop-timeout\" flag: strconv.ParseInt: parsing \"soon\": "
       "invalid syntax"},
      {{"--sysctl", "vm.swappiness=10"},
       "invalid argument \"vm.swappiness=10\" for \"--sysctl\" flag: sysctl 'vm.swappiness=10' is "
       "not allowed"},
      {{"-v", "/srv:data"},
       "invalid argument \"/srv:data\" for \"-v, --volume\" flag: invalid volume specification: "
       "'/srv:data': invalid mount path: 'data' mount path must be absolute"},
      {{"-v", "/srv:/x:rx"},
       "invalid argument \"/srv:/x:rx\" for \"-v, --volume\" flag: invalid mode: rx"},
      {{"-v", "relative"},
       "invalid argument \"relative\" for \"-v, --volume\" flag: invalid mount path: 'relative' "
       "mount path must be absolute"},
      {{"--mount", "type=bind,src=/etc"},
       "invalid argument \"type=bind,src=/etc\" for \"--mount\" flag: target is required"},
      {{"--mount", "type=bind,src=/etc,dst=/x,bogus=1"},
       "invalid argument \"type=bind,src=/etc,dst=/x,bogus=1\" for \"--mount\" flag: unknown "
       "option 'bogus' in 'bogus=1'"},
      {{"--mount", "type=volume,dst=/x,bind-propagation=shared"},
       "invalid argument \"type=volume,dst=/x,bind-propagation=shared\" for \"--mount\" flag: "
       "cannot mix 'bind-*' options with mount type 'volume'"},
      {{"--mount", "type=bind,src=/nonexistent-berth,dst=/x"},
       "invalid argument \"type=bind,src=/nonexistent-berth,dst=/x\" for \"--mount\" flag: invalid "
       "mount config for type \"bind\": bind source path does not exist: /nonexistent-berth"},
      {{"--mount", "type=tmpfs,dst=/x,tmpfs-size=big"},
       "invalid argument \"type=tmpfs,dst=/x,tmpfs-size=big\" for \"--mount\" flag: invalid value "
       "for tmpfs-size: big"},
      {{"--mount", "type=bind,src=/etc,dst=/x,readonly=maybe"},
       "invalid argument \"type=bind,src=/etc,dst=/x,readonly=maybe\" for \"--mount\" flag: "
       "invalid value for 'readonly': invalid boolean value (\"maybe\"): must be one of \"true\", "
       "\"1\", \"false\", or \"0\" (default \"true\")"},
      {{"--tmpfs", "run"},
       "invalid argument \"run\" for \"--tmpfs\" flag: invalid tmpfs \"run\": invalid mount path: "
       "'run' mount path must be absolute"},
      {{"--security-opt", "seccomp"},
       "invalid argument \"seccomp\" for \"--security-opt\" flag: want KEY=VALUE"},
      {{"--security-opt", "colour=blue"},
       "invalid argument \"colour=blue\" for \"--security-opt\" flag: unknown option \"colour\""},
      {{"-p", "8080:80"},
       "-p, --publish: publishing ports is not supported yet (use --network host)"},
      {{"-e", "=x"},
       "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x"},
      {{"--env-file", "/nonexistent-berth-env"},
       "--env-file: open \"/nonexistent-berth-env\": no such file or directory"},
      {{"-a", "stdsomething"},
       "invalid argument \"stdsomething\" for \"-a, --attach\" flag: valid streams are STDIN, "
       "STDOUT and STDERR"},
      {{"-d", "-a", "stdout"}, "conflicting options: cannot specify both --attach and --detach"},
      {{"--pid", "bogus"}, "--pid: invalid PID mode"},
      {{"--ipc", "bogus"}, "--ipc: invalid IPC mode"},
      {{"--uts", "bogus"}, "--uts: invalid UTS mode"},
      {{"--uts", "host", "-h", "box"}, "conflicting options: hostname and the UTS mode"},
      {{"--dns", "one.one"},
       "invalid argument \"one.one\" for \"--dns\" flag: one.one is not an ip address"},
      {{"--add-host", "db"},
       "invalid argument \"db\" for \"--add-host\" flag: bad format for add-host: \"db\""},
      {{"--add-host", "db:10.0.0"},
       "invalid argument \"db:10.0.0\" for \"--add-host\" flag: invalid IP address in add-host: "
       "\"10.0.0\""},
      {{"--expose", "80/ip"}, "invalid range format for --expose: invalid proto: ip"},
      {{"--oom-score-adj", "99999999999"},
       "invalid argument \"99999999999\" for \"--oom-score-adj\" flag: value out of range"},
      {{"--log-driver", "none", "--log-opt", "a=b"}, "invalid logging opts for driver none"},
  };
  for (const auto& c : cases) {
    auto argv = c.argv;
    argv.push_back("busybox");
    auto body = request(argv);
    std::string label;
    for (const auto& a : c.argv) label += a + " ";
    ASSERT_FALSE(body) << label;
    EXPECT_EQ(body.error().what(), c.error) << label;
  }
}

TEST(ContainerFlags, HelpIsLongOnlyAndDetachIsRunOnly) {
  auto body = request({"-h", "box", "busybox"});
  ASSERT_TRUE(body) << body.error().what();
  EXPECT_EQ(body->at("/Hostname"_json_pointer), "box");
  auto create = request({"-d", "busybox"}, false);
  ASSERT_FALSE(create);
  EXPECT_EQ(create.error().what(), "unknown flag: -d");
  auto unknown = request({"--frobnicate=1", "busybox"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().what(), "unknown flag: --frobnicate");
  auto none = request({"-t"});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().what(), "\"berth run\" requires at least 1 argument");
  // After the image, flags are the command's; "--" before the image is allowed.
  body = request({"--", "busybox", "ls", "-h", "--memory"});
  ASSERT_TRUE(body) << body.error().what();
  EXPECT_EQ(body->at("/Cmd"_json_pointer), json({"ls", "-h", "--memory"}));
}

TEST(ContainerFlagValues, Sizes) {
  struct Case {
    const char* text;
    int64_t bytes;
  } cases[] = {{"0", 0},
               {"100", 100},
               {"1k", 1024},
               {"1K", 1024},
               {"1kb", 1024},
               {"1KiB", 1024},
               {"512m", 512 << 20},
               {"1.5g", 3LL << 29},
               {"2 GB", 2LL << 30},
               {"1t", 1LL << 40},
               {"1p", 1LL << 50},
               {"7b", 7}};
  for (const auto& c : cases) {
    auto v = parse_ram_size(c.text);
    ASSERT_TRUE(v) << c.text;
    EXPECT_EQ(*v, c.bytes) << c.text;
  }
  for (const char* bad : {"", "m", "-1", "1x", "1.g", "1..2", " 1", "1mm", "12x"})
    EXPECT_FALSE(parse_ram_size(bad)) << bad;
}

TEST(ContainerFlagValues, Cpus) {
  struct Case {
    const char* text;
    int64_t nano;
  } cases[] = {{"1", 1000000000},   {"1.5", 1500000000}, {"0.01", 10000000}, {".5", 500000000},
               {"3/2", 1500000000}, {"2e-1", 200000000}, {"0.000000001", 1}, {"16", 16000000000}};
  for (const auto& c : cases) {
    auto v = parse_nano_cpus(c.text);
    ASSERT_TRUE(v) << c.text << ": " << v.error().what();
    EXPECT_EQ(*v, c.nano) << c.text;
  }
  for (const char* bad : {"", "x", "1.5.5", "1/0", "1/3", "0.0000000001", "."})
    EXPECT_FALSE(parse_nano_cpus(bad)) << bad;
}

TEST(ContainerFlagValues, Signals) {
  EXPECT_EQ(parse_signal("SIGTERM"), SIGTERM);
  EXPECT_EQ(parse_signal("term"), SIGTERM);
  EXPECT_EQ(parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(parse_signal("9"), 9);
  EXPECT_EQ(parse_signal("SIGRTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(parse_signal("RTMAX-1"), SIGRTMAX - 1);
  EXPECT_FALSE(parse_signal("0"));
  EXPECT_FALSE(parse_signal("SIGNOPE"));
  EXPECT_FALSE(parse_signal("RTMIN+99"));
}

}  // namespace
}  // namespace berth::cli
