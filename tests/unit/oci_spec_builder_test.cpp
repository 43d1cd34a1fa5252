#include "engine/oci_spec_builder.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "base/fs.hpp"
#include "engine/container_defaults.hpp"
#include "engine/seccomp_profile.hpp"
#include "runtime/spec.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;
namespace stdfs = std::filesystem;

constexpr const char* kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct TempRoot {
  std::string path;
  TempRoot() {
    char tmpl[] = "/tmp/berth-spec-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempRoot() { (void)fs::remove_all(path); }
  void write(const std::string& rel, const std::string& text) const {
    stdfs::create_directories(stdfs::path(path + rel).parent_path());
    std::ofstream(path + rel) << text;
  }
};

std::vector<std::string> strings(const json& j) {
  return j.is_array() ? j.get<std::vector<std::string>>() : std::vector<std::string>{};
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const json* find_mount(const json& spec, const std::string& dest) {
  for (const auto& m : spec["mounts"])
    if (m["destination"] == dest) return &m;
  return nullptr;
}

// The rule of the seccomp section that names syscall without argument conditions.
const json* find_rule(const json& spec, const std::string& syscall, bool with_args = false) {
  if (!spec["linux"].contains("seccomp")) return nullptr;
  for (const auto& r : spec["linux"]["seccomp"]["syscalls"])
    if (has(strings(r["names"]), syscall) && r.contains("args") == with_args) return &r;
  return nullptr;
}

class SpecBuilder : public ::testing::Test {
 protected:
  void SetUp() override {
    root_.write("/etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\n"
                "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                "app:x:1000:1000:App:/home/app:/bin/sh\n"
                "# a comment\n"
                "web:x:33:33:www:/var/www:/bin/sh\n");
    root_.write("/etc/group",
                "root:x:0:\n"
                "wheel:x:10:root,app\n"
                "audio:x:29:app\n"
                "app:x:1000:\n"
                "staff:x:50:\n");
    input_.container_id = kId;
    input_.name = "test";
    input_.rootfs = root_.path;
    input_.image.config.cmd = {"sh"};
    input_.image.config.env = {"IMG=1"};
    input_.init_path = "/usr/bin/berth-init-for-test";
    input_.cgroups_path = "/berth/" + std::string(kId);
  }

  // Builds and checks that the runtime library parses the result.
  json build() {
    auto spec = build_oci_spec(input_);
    if (!spec) {
      ADD_FAILURE() << spec.error().what();
      return json::object();
    }
    auto parsed = runtime::parse_spec(*spec);
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().what()) << "\n" << spec->dump(2);
    return *spec;
  }

  std::string build_error() {
    auto spec = build_oci_spec(input_);
    if (spec) return "(built)";
    return spec.error().what();
  }

  TempRoot root_;
  SpecInput input_;
  ContainerConfig& config_ = input_.config;
  HostConfig& host_ = input_.host_config;
};

TEST_F(SpecBuilder, DockerDefaults) {
  json s = build();
  const json& p = s["process"];
  EXPECT_EQ(strings(p["args"]), (std::vector<std::string>{"sh"}));
  EXPECT_EQ(
      strings(p["env"]),
      (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "HOSTNAME=0123456789ab", "IMG=1"}));
  EXPECT_EQ(p["cwd"], "/");
  EXPECT_EQ(p["terminal"], false);
  EXPECT_EQ(p["user"]["uid"], 0);
  EXPECT_EQ(p["user"]["gid"], 0);
  EXPECT_EQ(p["user"]["additionalGids"], json({0, 10}));
  EXPECT_EQ(p["noNewPrivileges"], false);
  EXPECT_EQ(p["oomScoreAdj"], 0);
  EXPECT_FALSE(p.contains("rlimits"));
  std::set<std::string> caps;
  for (const auto& c : p["capabilities"]["effective"]) caps.insert(c);
  EXPECT_EQ(caps, (std::set<std::string>{
                      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                      "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}));
  EXPECT_EQ(p["capabilities"]["bounding"], p["capabilities"]["effective"]);
  EXPECT_EQ(p["capabilities"]["permitted"], p["capabilities"]["effective"]);
  EXPECT_FALSE(p["capabilities"].contains("ambient"));

  EXPECT_EQ(s["hostname"], "0123456789ab");
  EXPECT_EQ(s["root"], json({{"path", root_.path}, {"readonly", false}}));
  const json& l = s["linux"];
  std::vector<std::string> ns;
  for (const auto& n : l["namespaces"]) ns.push_back(n["type"]);
  EXPECT_EQ(ns, (std::vector<std::string>{"pid", "network", "ipc", "uts", "mount", "cgroup"}));
  EXPECT_FALSE(l.contains("uidMappings"));
  EXPECT_EQ(l["cgroupsPath"], input_.cgroups_path);

  std::vector<std::string> dests;
  for (const auto& m : s["mounts"]) dests.push_back(m["destination"]);
  EXPECT_EQ(dests, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup",
                                             "/dev/mqueue", "/dev/shm"}));
  EXPECT_EQ(strings((*find_mount(s, "/dev/shm"))["options"]),
            (std::vector<std::string>{"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}));
  EXPECT_TRUE(has(strings((*find_mount(s, "/sys"))["options"]), "ro"));
  EXPECT_TRUE(has(strings((*find_mount(s, "/sys/fs/cgroup"))["options"]), "ro"));

  auto masked = strings(l["maskedPaths"]);
  for (const char* path :
       {"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap"})
    EXPECT_TRUE(has(masked, path)) << path;
  EXPECT_EQ(strings(l["readonlyPaths"]),
            (std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                      "/proc/sysrq-trigger"}));

  const json& rules = l["resources"]["devices"];
  EXPECT_EQ(rules[0], json({{"allow", false}, {"access", "rwm"}}));
  EXPECT_EQ(rules.size(), 8u);
  EXPECT_EQ(
      rules[7],
      json({{"allow", false}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"access", "rwm"}}));
  EXPECT_FALSE(l["resources"].contains("memory"));
  EXPECT_FALSE(l["resources"].contains("pids"));
  if (::access("/proc/sys/net/ipv4/ip_unprivileged_port_start", F_OK) == 0) {
    EXPECT_EQ(l["sysctl"]["net.ipv4.ip_unprivileged_port_start"], "0");
  }
  if (::access("/proc/sys/net/ipv4/ping_group_range", F_OK) == 0) {
    EXPECT_EQ(l["sysctl"]["net.ipv4.ping_group_range"], "0 2147483647");
  }
}

TEST_F(SpecBuilder, DefaultSeccompProfile) {
  json s = build();
  const json& sec = s["linux"]["seccomp"];
  EXPECT_EQ(sec["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(sec["defaultErrnoRet"], EPERM);
#if defined(__x86_64__)
  EXPECT_EQ(strings(sec["architectures"]),
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_NE(find_rule(s, "arch_prctl"), nullptr);
  EXPECT_NE(find_rule(s, "modify_ldt"), nullptr);
  EXPECT_EQ(find_rule(s, "cacheflush"), nullptr);
#endif
  for (const char* allowed : {"read", "openat", "execve", "futex", "chroot", "ptrace", "io_setup"})
    EXPECT_NE(find_rule(s, allowed), nullptr) << allowed;
  // Kept behind capabilities the default set lacks.
  for (const char* denied :
       {"mount", "unshare", "setns", "bpf", "kexec_load", "reboot", "init_module", "clock_settime",
        "syslog", "open_by_handle_at", "clone", "personality", "socket", "keyctl", "add_key"})
    EXPECT_EQ(find_rule(s, denied), nullptr) << denied;
  const json* clone = find_rule(s, "clone", true);
  ASSERT_NE(clone, nullptr);
  EXPECT_EQ(clone->at("args")[0]["op"], "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(clone->at("args")[0]["value"], 0x7E020000u);
  const json* clone3 = find_rule(s, "clone3");
  ASSERT_NE(clone3, nullptr);
  EXPECT_EQ(clone3->at("action"), "SCMP_ACT_ERRNO");
  EXPECT_EQ(clone3->at("errnoRet"), ENOSYS);
  std::set<uint64_t> personas;
  std::vector<json> socket_args;
  for (const auto& r : sec["syscalls"]) {
    auto names = strings(r["names"]);
    if (has(names, "personality")) personas.insert(r["args"][0]["value"].get<uint64_t>());
    if (has(names, "socket")) socket_args.push_back(r["args"][0]);
  }
  EXPECT_EQ(personas, (std::set<uint64_t>{0, 8, 0x20000, 0x20008, 0xffffffff}));
  ASSERT_EQ(socket_args.size(), 3u);
  EXPECT_EQ(socket_args[0]["value"], 38);  // AF_ALG
  EXPECT_EQ(socket_args[0]["op"], "SCMP_CMP_LT");
  EXPECT_EQ(socket_args[2]["value"], 40);  // AF_VSOCK
  EXPECT_EQ(socket_args[2]["op"], "SCMP_CMP_GT");
}

TEST_F(SpecBuilder, SeccompFollowsCapabilities) {
  host_.cap_add = {"sys_admin", "CAP_SYS_TIME"};
  json s = build();
  EXPECT_NE(find_rule(s, "mount"), nullptr);
  EXPECT_NE(find_rule(s, "clone"), nullptr);
  EXPECT_NE(find_rule(s, "clock_settime"), nullptr);
  EXPECT_EQ(find_rule(s, "clone", true), nullptr);
  for (const auto& r : s["linux"]["seccomp"]["syscalls"])
    EXPECT_FALSE(has(strings(r["names"]), "clone3") && r["action"] == "SCMP_ACT_ERRNO");
  host_.cap_add.clear();
  host_.cap_drop = {"SYS_CHROOT"};
  s = build();
  EXPECT_EQ(find_rule(s, "chroot"), nullptr);
}

TEST_F(SpecBuilder, SecurityOptions) {
  host_.security_opt = {"seccomp=unconfined", "no-new-privileges", "apparmor=docker-default",
                        "label=disable", "label:type:svirt_t"};
  json s = build();
  EXPECT_FALSE(s["linux"].contains("seccomp"));
  EXPECT_EQ(s["process"]["noNewPrivileges"], true);

  host_.security_opt = {"no-new-privileges=false"};
  EXPECT_EQ(build()["process"]["noNewPrivileges"], false);

  // A profile in Docker's format, as the CLI sends it (the file's contents).
  host_.security_opt = {"seccomp=" + json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"name": "chmod", "action": "SCMP_ACT_ERRNO"},
      {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_CHOWN"]}},
      {"names": ["umount2"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_CHOWN"]}},
      {"names": ["uname"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "99.0"}},
      {"names": ["kill"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}]}
    ]})")
                                         .dump()};
  s = build();
  const json& sec = s["linux"]["seccomp"];
  EXPECT_EQ(sec["defaultAction"], "SCMP_ACT_ALLOW");
  EXPECT_FALSE(sec.contains("defaultErrnoRet"));
#if defined(__x86_64__)
  EXPECT_EQ(strings(sec["architectures"]),
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
#endif
  ASSERT_EQ(sec["syscalls"].size(), 4u);
  EXPECT_EQ(
      sec["syscalls"][0],
      json({{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 13}}));
  EXPECT_EQ(sec["syscalls"][1]["names"], json({"chmod"}));
  EXPECT_EQ(sec["syscalls"][2]["names"], json({"umount2"}));
  EXPECT_EQ(sec["syscalls"][3]["args"][0],
            json({{"index", 1}, {"value", 9}, {"op", "SCMP_CMP_EQ"}}));

  struct Case {
    std::string opt;
    std::string error;
  } cases[] = {
      {"seccomp={\"syscalls\": [{\"names\": [\"x\"]}]}",
       "seccomp profile: syscalls[0].action: missing"},
      {"seccomp={\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\"], "
       "\"archMap\": [{\"architecture\": \"SCMP_ARCH_X86\"}]}",
       "seccomp profile: both \"architectures\" and \"archMap\" are set; use one"},
      {"seccomp={\"syscalls\": [{\"name\": \"a\", \"names\": [\"b\"], \"action\": \"x\"}]}",
       "seccomp profile: syscalls[0].name: both \"name\" and \"names\" are set"},
      {"seccomp={\"syscalls\": [{\"names\": [\"a\"], \"action\": \"x\", \"includes\": "
       "{\"minKernel\": \"4\"}}]}",
       "seccomp profile: syscalls[0].includes.minKernel: invalid kernel version \"4\", want "
       "\"<major>.<minor>\""},
      {"seccomp={oops", ""},
      {"bogus=1", "invalid --security-opt \"bogus=1\": unknown option \"bogus\""},
      {"nonsense", "invalid --security-opt \"nonsense\": want KEY=VALUE"},
      {"no-new-privileges=maybe",
       "invalid --security-opt \"no-new-privileges=maybe\": not a boolean"},
  };
  for (const auto& c : cases) {
    host_.security_opt = {c.opt};
    auto error = build_error();
    if (c.error.empty()) {
      EXPECT_TRUE(error.starts_with("seccomp profile")) << error;
    } else {
      EXPECT_EQ(error, c.error) << c.opt;
    }
  }
}

TEST_F(SpecBuilder, EntrypointAndCmdFollowDockersRules) {
  input_.image.config.entrypoint = {"/entry.sh"};
  input_.image.config.cmd = {"serve", "--port", "80"};
  EXPECT_EQ(strings(build()["process"]["args"]),
            (std::vector<std::string>{"/entry.sh", "serve", "--port", "80"}));

  config_.cmd = std::vector<std::string>{"debug"};
  EXPECT_EQ(strings(build()["process"]["args"]), (std::vector<std::string>{"/entry.sh", "debug"}));

  // --entrypoint drops the image's Cmd too.
  config_.cmd.reset();
  config_.entrypoint = std::vector<std::string>{"/bin/other"};
  EXPECT_EQ(strings(build()["process"]["args"]), (std::vector<std::string>{"/bin/other"}));

  // --entrypoint "" resets the image's entrypoint: the command runs alone.
  config_.entrypoint = std::vector<std::string>{""};
  config_.cmd = std::vector<std::string>{"ls", "-l"};
  EXPECT_EQ(strings(build()["process"]["args"]), (std::vector<std::string>{"ls", "-l"}));

  config_.cmd.reset();
  EXPECT_EQ(build_error(), "no command specified");

  // A stored, merged config builds the same again.
  config_.entrypoint = std::vector<std::string>{""};
  config_.cmd = std::vector<std::string>{"ls"};
  ASSERT_TRUE(merge_image_config(config_, input_.image.config));
  EXPECT_EQ(config_.entrypoint, std::vector<std::string>{});
  EXPECT_EQ(strings(build()["process"]["args"]), (std::vector<std::string>{"ls"}));
}

TEST_F(SpecBuilder, Environment) {
  input_.image.config.env = {"PATH=/opt/bin:/bin", "LANG=C", "KEEP=image"};
  config_.env = {"LANG=en_US.UTF-8", "NEW=1", "KEEP"};
  config_.tty = true;
  config_.hostname = "box";
  json s = build();
  EXPECT_EQ(strings(s["process"]["env"]),
            (std::vector<std::string>{"PATH=/opt/bin:/bin", "HOSTNAME=box", "TERM=xterm",
                                      "LANG=en_US.UTF-8", "NEW=1"}));
  EXPECT_EQ(s["process"]["terminal"], true);
  EXPECT_EQ(s["hostname"], "box");

  config_.domainname = "example.org";
  EXPECT_EQ(build()["domainname"], "example.org");
}

TEST_F(SpecBuilder, WorkingDirectory) {
  input_.image.config.working_dir = "/srv/app";
  EXPECT_EQ(build()["process"]["cwd"], "/srv/app");
  config_.working_dir = "/tmp";
  EXPECT_EQ(build()["process"]["cwd"], "/tmp");
  config_.working_dir = "relative";
  EXPECT_EQ(build_error(),
            "the working directory \"relative\" is invalid, it needs to be an absolute path");

  // Created in the root (so that --read-only still has it), never outside it.
  stdfs::create_symlink("/../../../..", root_.path + "/escape");
  config_.working_dir = "/escape/new/dir";
  EXPECT_EQ(build()["process"]["cwd"], "/escape/new/dir");
  EXPECT_TRUE(stdfs::is_directory(root_.path + "/new/dir"));
  root_.write("/file", "x");
  config_.working_dir = "/file/sub";
  EXPECT_EQ(build_error(), "Cannot mkdir: /file is not a directory");
  if (::geteuid() == 0) {
    // With a user namespace, new folders belong to the container's root as mapped.
    input_.uid_mappings = {{0, 100000, 65536}};
    input_.gid_mappings = {{0, 200000, 65536}};
    config_.working_dir = "/owned/by/root";
    build();
    struct stat st;
    ASSERT_EQ(::stat((root_.path + "/owned/by").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 100000u);
    EXPECT_EQ(st.st_gid, 200000u);
  }
}

TEST_F(SpecBuilder, UsersAndGroups) {
  struct Case {
    std::string user;
    std::vector<std::string> group_add;
    uint32_t uid, gid;
    std::vector<uint32_t> gids;
  } cases[] = {
      {"app", {}, 1000, 1000, {1000, 10, 29}},
      {"1000", {}, 1000, 1000, {1000, 10, 29}},
      {"app:staff", {}, 1000, 50, {50}},
      {"app:50", {}, 1000, 50, {50}},
      {"4242", {}, 4242, 0, {0}},
      {"4242:4343", {}, 4242, 4343, {4343}},
      {"web", {"audio", "777", "wheel"}, 33, 33, {33, 29, 777, 10}},
      {"", {"staff"}, 0, 0, {0, 10, 50}},
  };
  for (const auto& c : cases) {
    config_.user = c.user;
    host_.group_add = c.group_add;
    json u = build()["process"]["user"];
    EXPECT_EQ(u["uid"], c.uid) << c.user;
    EXPECT_EQ(u["gid"], c.gid) << c.user;
    EXPECT_EQ(u["additionalGids"].get<std::vector<uint32_t>>(), c.gids) << c.user;
  }
  // The image's USER applies unless -u says otherwise.
  config_.user.clear();
  host_.group_add.clear();
  input_.image.config.user = "daemon";
  EXPECT_EQ(build()["process"]["user"]["uid"], 1);

  config_.user = "nobody";
  EXPECT_EQ(build_error(), "unable to find user nobody: no matching entries in passwd file");
  config_.user = "app:nogroup";
  EXPECT_EQ(build_error(), "unable to find group nogroup: no matching entries in group file");
  config_.user = "app";
  host_.group_add = {"video"};
  EXPECT_EQ(build_error(), "unable to find group video: no matching entries in group file");
}

TEST_F(SpecBuilder, UserLookupStaysInTheRoot) {
  // /etc/passwd as an absolute symlink resolves inside the container root, not on the host.
  ASSERT_TRUE(fs::remove_all(root_.path + "/etc/passwd"));
  root_.write("/inside/passwd", "root:x:0:0::/:/bin/sh\nintruder:x:4711:4711::/:/bin/sh\n");
  stdfs::create_symlink("/../../../../inside/passwd", root_.path + "/etc/passwd");
  config_.user = "intruder";
  EXPECT_EQ(build()["process"]["user"]["uid"], 4711);
  config_.user = "app";  // only in the host-side file we replaced
  EXPECT_EQ(build_error(), "unable to find user app: no matching entries in passwd file");

  // No passwd at all: numbers work, names do not.
  ASSERT_TRUE(fs::remove_all(root_.path + "/etc"));
  config_.user = "123:456";
  EXPECT_EQ(build()["process"]["user"]["uid"], 123);
  config_.user = "root";
  EXPECT_EQ(build_error(), "unable to find user root: no matching entries in passwd file");
}

TEST_F(SpecBuilder, Capabilities) {
  auto effective = [&] {
    auto v = strings(build()["process"]["capabilities"]["effective"]);
    return std::set<std::string>(v.begin(), v.end());
  };
  host_.cap_add = {"net_admin", "CAP_SYS_PTRACE"};
  host_.cap_drop = {"chown", "Cap_Net_Raw"};
  auto caps = effective();
  EXPECT_TRUE(caps.count("CAP_NET_ADMIN") && caps.count("CAP_SYS_PTRACE"));
  EXPECT_FALSE(caps.count("CAP_CHOWN") || caps.count("CAP_NET_RAW"));
  EXPECT_EQ(caps.size(), 14u);

  host_.cap_add = {"KILL"};
  host_.cap_drop = {"ALL"};
  EXPECT_EQ(effective(), (std::set<std::string>{"CAP_KILL"}));

  host_.cap_add = {"all"};
  host_.cap_drop = {"NET_ADMIN"};
  caps = effective();
  EXPECT_TRUE(caps.count("CAP_SYS_ADMIN"));
  EXPECT_FALSE(caps.count("CAP_NET_ADMIN"));

  host_.cap_add.clear();
  host_.cap_drop.clear();
  host_.privileged = true;
  caps = effective();
  EXPECT_TRUE(caps.count("CAP_SYS_ADMIN") && caps.count("CAP_SYS_MODULE") &&
              caps.count("CAP_NET_ADMIN"));
  EXPECT_GE(caps.size(), 38u);

  host_.privileged = false;
  host_.cap_add = {"CAP_FLY"};
  EXPECT_EQ(build_error(), "unknown capability: \"CAP_FLY\"");
  host_.cap_add.clear();
  host_.cap_drop = {"nope"};
  EXPECT_EQ(build_error(), "unknown capability: \"CAP_NOPE\"");
}

TEST_F(SpecBuilder, PrivilegedLiftsTheConfinement) {
  host_.privileged = true;
  json s = build();
  EXPECT_FALSE(s["linux"].contains("seccomp"));
  EXPECT_FALSE(s["linux"].contains("maskedPaths"));
  EXPECT_FALSE(s["linux"].contains("readonlyPaths"));
  EXPECT_FALSE(has(strings((*find_mount(s, "/sys"))["options"]), "ro"));
  EXPECT_FALSE(has(strings((*find_mount(s, "/sys/fs/cgroup"))["options"]), "ro"));
  EXPECT_EQ(s["linux"]["resources"]["devices"], json({{{"allow", true}, {"access", "rwm"}}}));
  bool null_found = false;
  for (const auto& d : s["linux"]["devices"]) {
    EXPECT_NE(d["path"], "/dev/console");
    EXPECT_FALSE(d["path"].get<std::string>().starts_with("/dev/pts/"));
    if (d["path"] == "/dev/null") {
      null_found = true;
      EXPECT_EQ(d["type"], "c");
      EXPECT_EQ(d["major"], 1);
      EXPECT_EQ(d["minor"], 3);
    }
  }
  EXPECT_TRUE(null_found);

  // seccomp=PROFILE is ignored with --privileged, as Docker does.
  host_.security_opt = {"seccomp={\"defaultAction\": \"SCMP_ACT_ERRNO\"}"};
  EXPECT_FALSE(build()["linux"].contains("seccomp"));
}

TEST_F(SpecBuilder, BindsVolumesAndTmpfs) {
  TempRoot host;
  host.write("/data/file", "x");
  host_.binds = {host.path + "/data:/data", host.path + "/data:/ro:ro",
                 host.path + "//data/:/shared:rshared,z", "named:/var/lib/db",
                 "cachevol:/cache:ro,nocopy"};
  config_.volumes = {"/anon"};
  input_.image.config.volumes = {"/var/lib/db", "/image-vol"};
  host_.tmpfs = {{"/run", "size=64m,exec"}};
  MountSpec tmpfs;
  tmpfs.type = "tmpfs";
  tmpfs.target = "/scratch";
  tmpfs.tmpfs_options = TmpfsOptions{64 << 20, 01777};
  MountSpec bind;
  bind.type = "bind";
  bind.source = host.path + "/data";
  bind.target = "/data/nested";
  bind.read_only = true;
  bind.bind_options = BindOptions{"rslave", false, false, false, false, ""};
  host_.mounts = {tmpfs, bind};

  auto plan = plan_container_mounts(input_);
  ASSERT_TRUE(plan) << plan.error().what();
  std::map<std::string, VolumeRequest> requests;
  for (const auto& v : plan->volumes) requests[v.destination] = v;
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests["/var/lib/db"].name, "named");
  EXPECT_EQ(requests["/cache"].name, "cachevol");
  EXPECT_TRUE(requests["/cache"].read_only);
  EXPECT_TRUE(requests["/cache"].no_copy);
  EXPECT_EQ(requests["/anon"].name, "");
  EXPECT_EQ(requests["/image-vol"].name, "");

  // Until every volume is resolved there is no spec.
  EXPECT_EQ(build_error(), "volume (anonymous) at /anon was not resolved to a host folder");
  for (const auto& v : plan->volumes)
    input_.volume_mounts.push_back(volume_mount(v, host.path + "/vol" + v.destination));
  json s = build();

  auto options = [&](const std::string& dest) {
    const json* m = find_mount(s, dest);
    return m ? strings((*m)["options"]) : std::vector<std::string>{"(missing)"};
  };
  EXPECT_EQ((*find_mount(s, "/data"))["source"], host.path + "/data");
  EXPECT_EQ((*find_mount(s, "/data"))["type"], "bind");
  EXPECT_EQ(options("/data"), (std::vector<std::string>{"rbind", "rprivate"}));
  EXPECT_EQ(options("/ro"), (std::vector<std::string>{"rbind", "rro", "rprivate"}));
  EXPECT_EQ((*find_mount(s, "/shared"))["source"], host.path + "/data");
  EXPECT_EQ(options("/shared"), (std::vector<std::string>{"rbind", "rshared"}));
  EXPECT_EQ(options("/data/nested"), (std::vector<std::string>{"rbind", "rro", "rslave"}));
  EXPECT_EQ((*find_mount(s, "/var/lib/db"))["source"], host.path + "/vol/var/lib/db");
  EXPECT_EQ(options("/cache"), (std::vector<std::string>{"rbind", "rro", "rprivate"}));
  EXPECT_EQ(options("/run"),
            (std::vector<std::string>{"nosuid", "nodev", "rprivate", "size=64m", "exec"}));
  EXPECT_EQ((*find_mount(s, "/run"))["type"], "tmpfs");
  EXPECT_EQ(options("/scratch"), (std::vector<std::string>{"noexec", "nosuid", "nodev", "rprivate",
                                                           "mode=1777", "size=64m"}));
  // Parents before what lies under them.
  std::vector<std::string> dests;
  for (const auto& m : s["mounts"]) dests.push_back(m["destination"]);
  auto pos = [&](const std::string& d) {
    return std::find(dests.begin(), dests.end(), d) - dests.begin();
  };
  EXPECT_LT(pos("/data"), pos("/data/nested"));
  EXPECT_LT(pos("/dev/shm"), pos("/data"));
}

TEST_F(SpecBuilder, MissingBindSources) {
  host_.binds = {"/nonexistent/berth-test:/x"};
  auto plan = plan_mounts(config_, host_);
  ASSERT_TRUE(plan) << plan.error().what();
  EXPECT_EQ(plan->create_dirs, std::vector<std::string>{"/nonexistent/berth-test"});
  host_.binds.clear();
  MountSpec m;
  m.type = "bind";
  m.source = "/nonexistent/berth-test";
  m.target = "/x";
  host_.mounts = {m};
  EXPECT_EQ(build_error(),
            "invalid mount config for type \"bind\": bind source path does not "
            "exist: /nonexistent/berth-test");
  m.bind_options = BindOptions{};
  m.bind_options->create_mountpoint = true;
  host_.mounts = {m};
  EXPECT_EQ((*find_mount(build(), "/x"))["source"], "/nonexistent/berth-test");
}

TEST_F(SpecBuilder, MountErrors) {
  struct Case {
    std::vector<std::string> binds;
    std::map<std::string, std::string> tmpfs;
    std::string error;
  } cases[] = {
      {{"/tmp:relative"},
       {},
       "invalid volume specification: '/tmp:relative': invalid mount path: 'relative' mount path "
       "must be absolute"},
      {{"/tmp:/"},
       {},
       "invalid volume specification: '/tmp:/': invalid specification: "
       "destination can't be '/'"},
      {{"/tmp:/x:bogus"}, {}, "invalid mode: bogus"},
      {{"/tmp:/x:ro,rw"}, {}, "invalid mode: ro,rw"},
      {{"/tmp:ro"}, {}, "invalid volume specification: '/tmp:ro'"},
      {{"a:b:c:d"}, {}, "invalid volume specification: 'a:b:c:d'"},
      {{":/x"}, {}, "invalid volume specification: ':/x'"},
      {{"vol:/x:rshared"},
       {},
       "invalid volume specification: 'vol:/x:rshared': invalid mount config for type \"volume\": "
       "field BindOptions must not be specified"},
      {{"/tmp:/x:nocopy"},
       {},
       "invalid volume specification: '/tmp:/x:nocopy': invalid mount config for type \"bind\": "
       "field VolumeOptions must not be specified"},
      {{"/tmp:/x", "/var:/x"}, {}, "duplicate mount point: /x"},
      {{},
       {{"run", ""}},
       "invalid tmpfs \"run\": invalid mount path: 'run' mount path must be absolute"},
      {{}, {{"/run", "bogus"}}, "tmpfs /run: invalid tmpfs option \"bogus\""},
  };
  for (const auto& c : cases) {
    host_.binds = c.binds;
    host_.tmpfs = c.tmpfs;
    EXPECT_EQ(build_error(), c.error);
  }
  host_.binds.clear();
  host_.tmpfs.clear();
  MountSpec m;
  m.type = "tmpfs";
  m.source = "x";
  m.target = "/t";
  host_.mounts = {m};
  EXPECT_EQ(build_error(),
            "invalid mount config for type \"tmpfs\": field Source must not be specified");
  m.type = "floppy";
  host_.mounts = {m};
  EXPECT_EQ(build_error(), "invalid mount config for type \"floppy\": mount type unknown");
  m.type = "bind";
  m.source = "rel";
  host_.mounts = {m};
  EXPECT_EQ(build_error(),
            "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be "
            "absolute");
  m.type = "volume";
  m.source = "";
  m.volume_options = VolumeOptions{};
  m.volume_options->subpath = "a";
  host_.mounts = {m};
  EXPECT_EQ(build_error(),
            "invalid mount config for type \"volume\": must not set Subpath when using anonymous "
            "volumes");
  // A tmpfs wins over a bind at the same place; an anonymous volume gives way to a bind.
  m = MountSpec{};
  m.type = "tmpfs";
  m.target = "/x";
  host_.mounts = {m};
  host_.binds = {"/tmp:/x"};
  config_.volumes = {"/tmp2"};
  host_.binds.push_back("/tmp:/tmp2");
  json s = build();
  EXPECT_EQ((*find_mount(s, "/x"))["type"], "tmpfs");
  EXPECT_EQ((*find_mount(s, "/tmp2"))["type"], "bind");
}

TEST_F(SpecBuilder, ReadOnlyRootfsShmAndEtcFiles) {
  TempRoot host;
  host.write("/hosts", "127.0.0.1 localhost\n");
  host.write("/hostname", "box\n");
  host.write("/resolv.conf", "nameserver 1.1.1.1\n");
  input_.hosts_path = host.path + "/hosts";
  input_.hostname_path = host.path + "/hostname";
  input_.resolv_conf_path = host.path + "/resolv.conf";
  host_.readonly_rootfs = true;
  host_.shm_size = 1 << 20;
  json s = build();
  EXPECT_EQ(s["root"]["readonly"], true);
  EXPECT_EQ(strings((*find_mount(s, "/etc/hosts"))["options"]),
            (std::vector<std::string>{"rbind", "rprivate", "ro"}));
  EXPECT_EQ((*find_mount(s, "/etc/resolv.conf"))["source"], input_.resolv_conf_path);
  EXPECT_EQ((*find_mount(s, "/etc/hostname"))["source"], input_.hostname_path);
  EXPECT_FALSE(has(strings((*find_mount(s, "/dev/shm"))["options"]), "ro"));
  EXPECT_TRUE(has(strings((*find_mount(s, "/dev/shm"))["options"]), "size=1048576"));
  EXPECT_FALSE(has(strings((*find_mount(s, "/proc"))["options"]), "ro"));

  // A user mount at /etc/hosts replaces the generated file.
  host_.readonly_rootfs = false;
  host_.binds = {host.path + "/hostname:/etc/hosts"};
  s = build();
  int count = 0;
  for (const auto& m : s["mounts"])
    if (m["destination"] == "/etc/hosts") ++count;
  EXPECT_EQ(count, 1);
  EXPECT_EQ((*find_mount(s, "/etc/hosts"))["source"], host.path + "/hostname");
  EXPECT_EQ(strings((*find_mount(s, "/etc/resolv.conf"))["options"]),
            (std::vector<std::string>{"rbind", "rprivate"}));

  // A user /dev takes all of /dev/... with it.
  host_.binds = {"/dev:/dev"};
  s = build();
  EXPECT_EQ(find_mount(s, "/dev/pts"), nullptr);
  EXPECT_EQ(find_mount(s, "/dev/shm"), nullptr);
  EXPECT_EQ((*find_mount(s, "/dev"))["type"], "bind");
}

TEST_F(SpecBuilder, Devices) {
  host_.devices = {{"/dev/null", "/dev/mynull", "rw"}, {"/dev/zero", "", ""}};
  json s = build();
  const json& devices = s["linux"]["devices"];
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0]["path"], "/dev/mynull");
  EXPECT_EQ(devices[0]["type"], "c");
  EXPECT_EQ(devices[0]["major"], 1);
  EXPECT_EQ(devices[0]["minor"], 3);
  EXPECT_EQ(devices[1]["path"], "/dev/zero");
  const json& rules = s["linux"]["resources"]["devices"];
  EXPECT_EQ(rules[rules.size() - 2],
            json({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}));
  EXPECT_EQ(rules.back()["access"], "rwm");

  host_.devices = {{"/etc/passwd", "/dev/x", "rwm"}};
  EXPECT_EQ(build_error(), "--device /etc/passwd: \"/etc/passwd\" is not a device node");
  host_.devices = {{"/dev/berth-no-such", "/dev/x", "rwm"}};
  EXPECT_TRUE(
      build_error().starts_with("--device /dev/berth-no-such: error gathering device "
                                "information while adding custom device"));
}

TEST_F(SpecBuilder, Resources) {
  host_.memory = 256 << 20;
  host_.nano_cpus = 1500000000;
  host_.cpu_shares = 512;
  host_.pids_limit = 100;
  host_.ulimits = {{"nofile", 1024, 2048}, {"core", -1, -1}};
  host_.oom_score_adj = 500;
  json s = build();
  const json& r = s["linux"]["resources"];
  EXPECT_EQ(r["memory"], json({{"limit", 256 << 20}, {"swap", 512 << 20}}));
  EXPECT_EQ(r["cpu"], json({{"shares", 512}, {"period", 100000}, {"quota", 150000}}));
  EXPECT_EQ(r["pids"], json({{"limit", 100}}));
  EXPECT_EQ(s["process"]["rlimits"],
            json({{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 2048}},
                  {{"type", "RLIMIT_CORE"}, {"soft", UINT64_MAX}, {"hard", UINT64_MAX}}}));
  EXPECT_EQ(s["process"]["oomScoreAdj"], 500);

  host_ = HostConfig{};
  host_.memory = 64 << 20;
  host_.memory_swap = -1;
  host_.cpu_period = 50000;
  host_.cpu_quota = 25000;
  s = build();
  EXPECT_EQ(s["linux"]["resources"]["memory"], json({{"limit", 64 << 20}, {"swap", -1}}));
  EXPECT_EQ(s["linux"]["resources"]["cpu"], json({{"period", 50000}, {"quota", 25000}}));

  struct Case {
    std::function<void(HostConfig&)> set;
    std::string error;
  } cases[] = {
      {[](HostConfig& h) { h.memory = 1024; }, "Minimum memory limit allowed is 6MB"},
      {[](HostConfig& h) { h.memory_swap = 1 << 30; },
       "You should always set the Memory limit when using Memoryswap limit"},
      {[](HostConfig& h) {
         h.memory = 1 << 30;
         h.memory_swap = 512 << 20;
       },
       "Minimum memoryswap limit should be larger than memory limit"},
      {[](HostConfig& h) {
         h.nano_cpus = 1000000000;
         h.cpu_period = 100000;
       },
       "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
      {[](HostConfig& h) {
         h.nano_cpus = 1000000000;
         h.cpu_quota = 100000;
       },
       "Conflicting options: Nano CPUs and CPU Quota cannot both be set"},
      {[](HostConfig& h) { h.nano_cpus = 100000LL * 1000000000; }, "Range of CPUs is from 0.01 to"},
      {[](HostConfig& h) { h.cpu_period = 10; }, "CPU cfs period can not be less than 1ms"},
      {[](HostConfig& h) { h.cpu_quota = 10; }, "CPU cfs quota can not be less than 1ms"},
      {[](HostConfig& h) { h.oom_score_adj = 1001; },
       "Invalid value 1001, range for oom score adj is [-1000, 1000]"},
      {[](HostConfig& h) {
         h.ulimits = {{"nofiles", 1, 1}};
       },
       "invalid ulimit type: nofiles"},
      {[](HostConfig& h) {
         h.ulimits = {{"nofile", 10, 5}};
       },
       "ulimit soft limit must be less than or equal to hard limit: 10 > 5"},
      {[](HostConfig& h) { h.shm_size = -1; }, "SHM size can not be less than 0"},
  };
  for (const auto& c : cases) {
    host_ = HostConfig{};
    c.set(host_);
    EXPECT_TRUE(build_error().starts_with(c.error)) << build_error();
  }
}

TEST_F(SpecBuilder, Sysctls) {
  host_.sysctls = {{"net.core.somaxconn", "1024"},
                   {"kernel.shmmax", "1000"},
                   {"fs.mqueue.msg_max", "20"},
                   {"net.ipv4.ip_unprivileged_port_start", "80"}};
  json s = build();
  EXPECT_EQ(s["linux"]["sysctl"]["net.core.somaxconn"], "1024");
  EXPECT_EQ(s["linux"]["sysctl"]["kernel.shmmax"], "1000");
  EXPECT_EQ(s["linux"]["sysctl"]["net.ipv4.ip_unprivileged_port_start"], "80");

  host_.network_mode = "host";
  EXPECT_EQ(build_error(),
            "sysctl \"net.core.somaxconn\" is not allowed with --network host: it "
            "would change the host's");
  host_.network_mode = "";
  host_.ipc_mode = "host";
  EXPECT_EQ(build_error(),
            "sysctl \"fs.mqueue.msg_max\" is not allowed with --ipc host: it would "
            "change the host's");
  host_.ipc_mode = "";
  host_.sysctls = {{"vm.swappiness", "10"}};
  EXPECT_EQ(build_error(),
            "sysctl \"vm.swappiness\" is not in a kernel namespace of the "
            "container's, so it may not be set");
}

TEST_F(SpecBuilder, Namespaces) {
  auto types = [&] {
    std::vector<std::string> out;
    json s = build();
    for (const auto& n : s["linux"]["namespaces"]) out.push_back(n["type"]);
    return out;
  };
  host_.network_mode = "host";
  EXPECT_EQ(types(), (std::vector<std::string>{"pid", "ipc", "uts", "mount", "cgroup"}));
  json s = build();
  EXPECT_FALSE(s["linux"].contains("sysctl"));
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  EXPECT_EQ(s["hostname"], name);
  host_.network_mode = "none";
  EXPECT_EQ(types(), (std::vector<std::string>{"pid", "network", "ipc", "uts", "mount", "cgroup"}));
  host_.network_mode = "";
  host_.pid_mode = "host";
  host_.ipc_mode = "host";
  host_.uts_mode = "host";
  EXPECT_EQ(types(), (std::vector<std::string>{"network", "mount", "cgroup"}));
  s = build();
  EXPECT_FALSE(s.contains("hostname"));
  EXPECT_EQ(strings((*find_mount(s, "/dev/shm"))["options"]),
            (std::vector<std::string>{"rbind", "rprivate"}));
  EXPECT_EQ((*find_mount(s, "/dev/shm"))["source"], "/dev/shm");

  host_ = HostConfig{};
  host_.ipc_mode = "none";
  s = build();
  EXPECT_EQ(find_mount(s, "/dev/shm"), nullptr);
  EXPECT_NE(find_mount(s, "/dev/mqueue"), nullptr);

  struct Case {
    std::function<void(HostConfig&)> set;
    std::string error;
  } cases[] = {
      {[](HostConfig& h) { h.network_mode = "container:web"; },
       "--network container:web: joining another container's namespace is not supported yet"},
      {[](HostConfig& h) { h.network_mode = "mynet"; },
       "network \"mynet\" not found: only the default network, host and none exist yet"},
      {[](HostConfig& h) { h.pid_mode = "container:web"; },
       "--pid container:web: joining another container's namespace is not supported yet"},
      {[](HostConfig& h) { h.pid_mode = "bogus"; }, "invalid PID mode: \"bogus\""},
      {[](HostConfig& h) { h.ipc_mode = "bogus"; }, "invalid IPC mode: \"bogus\""},
      {[](HostConfig& h) { h.uts_mode = "bogus"; }, "invalid UTS mode: \"bogus\""},
  };
  for (const auto& c : cases) {
    host_ = HostConfig{};
    c.set(host_);
    EXPECT_EQ(build_error(), c.error);
  }
}

TEST_F(SpecBuilder, Init) {
  host_.init = true;
  input_.image.config.entrypoint = {"/entry"};
  json s = build();
  EXPECT_EQ(strings(s["process"]["args"]),
            (std::vector<std::string>{"/sbin/docker-init", "--", "/entry", "sh"}));
  const json* m = find_mount(s, "/sbin/docker-init");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ((*m)["source"], input_.init_path);
  EXPECT_EQ(strings((*m)["options"]), (std::vector<std::string>{"bind", "ro"}));

  // Without a pid namespace of its own there is an init already.
  host_.pid_mode = "host";
  s = build();
  EXPECT_EQ(strings(s["process"]["args"]), (std::vector<std::string>{"/entry", "sh"}));
  EXPECT_EQ(find_mount(s, "/sbin/docker-init"), nullptr);

  host_.pid_mode = "";
  input_.init_path.clear();
  EXPECT_EQ(build_error(), "--init: no init binary (berth-init) was found");
}

TEST_F(SpecBuilder, Rootless) {
  input_.rootless = true;
  input_.uid_mappings = {{0, 100000, 65536}};
  input_.gid_mappings = {{0, 100000, 65536}};
  json s = build();
  const json& l = s["linux"];
  EXPECT_EQ(l["namespaces"].back()["type"], "user");
  EXPECT_EQ(l["uidMappings"], json({{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}}));
  EXPECT_FALSE(l.contains("resources"));
  EXPECT_FALSE(s["process"].contains("oomScoreAdj"));
  EXPECT_FALSE(l.value("sysctl", json::object()).contains("net.ipv4.ping_group_range"));

  host_.memory = 64 << 20;
  EXPECT_TRUE(
      build_error().starts_with("--memory: resource limits need cgroup v2 controllers "
                                "delegated to the user"))
      << build_error();
  host_.memory = 0;
  host_.pids_limit = 10;
  EXPECT_TRUE(build_error().starts_with("--pids-limit: ")) << build_error();
  // A delegated cgroup: limits of its controllers apply, and no device rules (a cgroup v2
  // device filter is a BPF program, which the user may not attach).
  input_.delegated_cgroup = "/sys/fs/cgroup/user.slice/app.scope";
  input_.delegated_controllers = {"memory"};
  EXPECT_EQ(build_error(),
            "--pids-limit: the pids controller is not delegated to this user (cgroup "
            "\"/sys/fs/cgroup/user.slice/app.scope\" offers memory; `berth system check` tells "
            "how to delegate it); berth does not ignore limits silently");
  input_.delegated_controllers = {"memory", "pids"};
  host_.pids_limit = 10;
  host_.memory = 64 << 20;
  s = build();
  EXPECT_EQ(s["linux"]["resources"]["pids"]["limit"], 10);
  EXPECT_EQ(s["linux"]["resources"]["memory"]["limit"], 64 << 20);
  EXPECT_FALSE(s["linux"]["resources"].contains("devices"));
  input_.delegated_controllers.clear();
  host_.pids_limit = -1;
  host_.memory = 0;
  s = build();
  EXPECT_FALSE(s["linux"].contains("resources")) << "unlimited pids needs no controller rootless";

  // --device rootless: the node is bound, since a user namespace may not mknod.
  host_ = HostConfig{};
  host_.devices = {{"/dev/null", "/dev/mynull", "rwm"}};
  s = build();
  EXPECT_TRUE(s["linux"]["devices"].empty());
  const json* bound = find_mount(s, "/dev/mynull");
  ASSERT_NE(bound, nullptr);
  EXPECT_EQ((*bound)["source"], "/dev/null");
  EXPECT_EQ((*bound)["type"], "bind");

  // Privileged rootless: every capability, but no host devices beyond the runtime's defaults.
  host_ = HostConfig{};
  host_.privileged = true;
  input_.delegated_cgroup.clear();
  s = build();
  EXPECT_TRUE(s["linux"]["devices"].empty());

  // Without mappings: the caller's ids as root, and root's groups (wheel) that cannot be mapped
  // are left out.
  input_.uid_mappings.clear();
  input_.gid_mappings.clear();
  s = build();
  EXPECT_EQ(s["linux"]["uidMappings"][0]["hostID"], ::getuid());
  EXPECT_EQ(s["linux"]["uidMappings"][0]["size"], 1);
  EXPECT_EQ(s["process"]["user"]["additionalGids"], json({0}));
}

// Runs argv and returns its exit status and what it wrote to stdout and stderr.
struct RunResult {
  int status = -1;
  std::string output;
};

RunResult run_command(const std::vector<std::string>& argv) {
  RunResult r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return r;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) r.output.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// Builds a spec for a busybox root and runs it with berth-runtime, as root.
class SpecRun : public SpecBuilder {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "running a container needs root";
    bin_ = stdfs::read_symlink("/proc/self/exe").parent_path().string();
    if (::access((bin_ + "/berth-runtime").c_str(), X_OK) != 0 ||
        ::access((bin_ + "/berth-init").c_str(), X_OK) != 0)
      GTEST_SKIP() << "berth-runtime and berth-init are not built in " << bin_;
    if (::access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "no /bin/busybox";
    SpecBuilder::SetUp();
    ::chmod(root_.path.c_str(), 0755);  // mkdtemp's 0700 would keep uid 1000 out
    stdfs::create_directories(root_.path + "/bin");
    stdfs::copy_file("/bin/busybox", root_.path + "/bin/busybox");
    for (const char* applet : {"sh", "cat", "grep", "sleep", "usleep", "tr"})
      stdfs::create_symlink("busybox", root_.path + "/bin/" + applet);
    bundle_ = root_.path + "-bundle";
    state_ = root_.path + "-state";
    stdfs::create_directories(bundle_);
    input_.container_id = "berth-spec-test-" + std::to_string(::getpid());
    input_.cgroups_path = "/" + input_.container_id;
    input_.init_path = bin_ + "/berth-init";
  }
  void TearDown() override {
    if (bundle_.empty()) return;
    run_command({bin_ + "/berth-runtime", "--root", state_, "delete", "-f", input_.container_id});
    (void)fs::remove_all(bundle_);
    (void)fs::remove_all(state_);
  }

  RunResult run(const std::string& script) {
    config_.cmd = std::vector<std::string>{"/bin/sh", "-c", script};
    json spec = build();
    std::ofstream(bundle_ + "/config.json") << spec.dump();
    return run_command(
        {bin_ + "/berth-runtime", "--root", state_, "run", "-b", bundle_, input_.container_id});
  }

  std::string bin_, bundle_, state_;
};

TEST_F(SpecRun, DockerCapabilitiesAndSeccomp) {
  auto r = run("cat /proc/self/status");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("CapEff:\t00000000a80425fb"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("CapBnd:\t00000000a80425fb"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Seccomp:\t2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NoNewPrivs:\t0"), std::string::npos) << r.output;
}

TEST_F(SpecRun, InitReapsAndPassesTheExitStatus) {
  host_.init = true;
  // An orphan re-parented to PID 1 must be reaped, not left a zombie.
  auto r =
      run("sh -c '/bin/sleep 1 &'\n"
          "i=0\n"
          "until grep -qs '(sleep)' /proc/[0-9]*/stat; do\n"
          "  i=$((i+1)); [ $i -gt 400 ] && break; usleep 10000\n"
          "done\n"
          "grep -qs '(sleep)' /proc/[0-9]*/stat || echo ORPHAN\"\"-MISSING\n"
          "i=0\n"
          "while grep -qs '(sleep)' /proc/[0-9]*/stat; do\n"
          "  i=$((i+1)); [ $i -gt 400 ] && break; usleep 50000\n"
          "done\n"
          "grep -s '(sleep)' /proc/[0-9]*/stat || echo REAP\"\"ED\n"
          "tr '\\0' ' ' < /proc/1/cmdline; echo\n"
          "exit 3\n");
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_EQ(r.output.find("ORPHAN-MISSING"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("REAPED"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/sbin/docker-init -- /bin/sh -c"), std::string::npos) << r.output;
}

TEST_F(SpecRun, InitForwardsSignals) {
  host_.init = true;
  auto r =
      run("trap 'echo GOT\"\"TERM; exit 7' TERM\n"
          "kill -TERM 1\n"
          "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); usleep 10000; done\n"
          "exit 1\n");
  EXPECT_EQ(r.status, 7) << r.output;
  EXPECT_NE(r.output.find("GOTTERM"), std::string::npos) << r.output;
}

TEST_F(SpecRun, PrivilegedHasEveryCapabilityAndNoSeccomp) {
  host_.privileged = true;
  auto r = run("cat /proc/self/status");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Seccomp:\t0"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("CapEff:\t00000000a80425fb"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("CapEff:\t000001ff"), std::string::npos) << r.output;
}

TEST_F(SpecRun, ManyOptionsTogether) {
  TempRoot host;
  host.write("/shared/hello", "from the host\n");
  config_.user = "app";
  config_.hostname = "box";
  config_.env = {"GREETING=hi"};
  config_.working_dir = "/work";
  host_.readonly_rootfs = true;
  host_.binds = {host.path + "/shared:/shared:ro"};
  host_.tmpfs = {{"/scratch", "size=1m"}};
  host_.memory = 64 << 20;
  host_.pids_limit = 50;
  host_.ulimits = {{"nofile", 512, 512}};
  host_.security_opt = {"no-new-privileges"};
  host_.sysctls = {{"net.ipv4.ip_unprivileged_port_start", "1024"}};
  host_.devices = {{"/dev/null", "/dev/mynull", "rwm"}};
  host_.cap_drop = {"ALL"};
  auto r =
      run("echo uid=$(grep Uid /proc/self/status | tr -s '\\t' ' ')\n"
          "echo host=$(cat /proc/sys/kernel/hostname) cwd=$PWD env=$GREETING\n"
          "cat /shared/hello\n"
          "echo x > /shared/f 2>/dev/null || echo bind-read-only\n"
          "echo x > /scratch/f && echo scratch-writable\n"
          "echo x > /rootfile 2>/dev/null || echo root-read-only\n"
          "echo nofile=$(ulimit -n)\n"
          "echo port=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)\n"
          "echo probe > /dev/mynull && echo mynull-ok\n"
          "grep NoNewPrivs /proc/self/status\n");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* want : {"uid=Uid: 1000 1000 1000 1000", "host=box cwd=/work env=hi",
                           "from the host", "bind-read-only", "scratch-writable", "root-read-only",
                           "nofile=512", "port=1024", "mynull-ok", "NoNewPrivs:\t1"})
    EXPECT_NE(r.output.find(want), std::string::npos) << want << "\n" << r.output;
}

TEST(SeccompProfile, ResolvesConditionsForTheTarget) {
  auto profile = parse_seccomp_profile(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "architectures": ["SCMP_ARCH_X86_64"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
      {"names": ["a"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}},
      {"names": ["b"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["arm64"]}},
      {"names": ["c"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.10"}},
      {"names": ["d"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.10"}},
      {"names": ["e"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_A", "CAP_B"]}}
    ]})");
  ASSERT_TRUE(profile) << profile.error().what();
  SeccompTarget t{"arm64", 5, 4, {"CAP_A"}};
  auto names = [&](const SeccompTarget& target) {
    auto r = resolve_seccomp_profile(*profile, target);
    std::vector<std::string> out;
    for (const auto& rule : (**r)["syscalls"]) out.push_back(rule["names"][0]);
    return out;
  };
  EXPECT_EQ(names(t), (std::vector<std::string>{"a", "d"}));
  t = {"amd64", 5, 10, {"CAP_A", "CAP_B"}};
  EXPECT_EQ(names(t), (std::vector<std::string>{"b", "c", "e"}));
  t = {"amd64", 6, 1, {}};
  EXPECT_EQ(names(t), (std::vector<std::string>{"b", "c"}));
  auto r = resolve_seccomp_profile(*profile, t);
  EXPECT_EQ((**r)["flags"], json({"SECCOMP_FILTER_FLAG_LOG"}));
  EXPECT_EQ((**r)["architectures"], json({"SCMP_ARCH_X86_64"}));

  auto empty = parse_seccomp_profile("{}");
  ASSERT_TRUE(empty);
  auto none = resolve_seccomp_profile(*empty, t);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace berth::engine
