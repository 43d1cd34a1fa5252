#include "cli/berth/container_flags.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <climits>
#include <filesystem>

#include "base/fs.hpp"
#include "base/json_text.hpp"
#include "base/strings.hpp"
#include "cli/berth/container_flag_values.hpp"
#include "engine/spec_mounts.hpp"

namespace berth::cli {

namespace {

Error bad_value(const std::string& flag, const std::string& value, const Error& why) {
  return plain_error("invalid argument " + quote(value) + " for " + quote(flag) +
                     " flag: " + why.message);
}

// A flag's value through a parser, with the error naming the flag.
template <typename T>
Result<T> flag_value(const std::string& flag, const std::string& value,
                     Result<T> (*parse)(const std::string&)) {
  auto r = parse(value);
  if (!r) return fail(bad_value(flag, value, r.error()));
  return r;
}

bool is_ip(const std::string& s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

Result<std::string> env_entry(const std::string& e) {
  auto eq = e.find('=');
  std::string key = e.substr(0, eq);
  if (key.empty()) return fail_msg("invalid environment variable: " + e);
  if (eq != std::string::npos) return e;
  if (const char* v = ::getenv(key.c_str())) return key + "=" + v;
  return e;
}

// -v with a source goes to Binds (a relative "./x" made absolute); a bare destination is an
// anonymous volume in Config.Volumes.
Status add_volume_flag(const std::string& raw, engine::ContainerConfig& c, engine::HostConfig& h) {
  const std::string flag = "-v, --volume";
  auto colon = raw.find(':');
  if (colon == std::string::npos) {
    if (raw.empty() || raw[0] != '/')
      return fail(bad_value(
          flag, raw, plain_error("invalid mount path: '" + raw + "' mount path must be absolute")));
    if (std::find(c.volumes.begin(), c.volumes.end(), raw) == c.volumes.end())
      c.volumes.push_back(raw);
    return {};
  }
  std::string host = raw.substr(0, colon);
  std::string bind = raw;
  if (!host.empty() && host[0] == '.') {
    std::error_code ec;
    auto abs = std::filesystem::absolute(host, ec);
    if (!ec) bind = abs.lexically_normal().string() + raw.substr(colon);
  }
  engine::HostConfig probe;
  probe.binds = {bind};
  if (auto plan = engine::plan_mounts({}, probe); !plan)
    return fail(bad_value(flag, raw, plan.error()));
  h.binds.push_back(bind);
  return {};
}

Status add_mount_flag(const std::string& raw, engine::HostConfig& h) {
  const std::string flag = "--mount";
  auto m = flag_value(flag, raw, parse_mount_flag);
  if (!m) return fail(m.error());
  engine::HostConfig probe;
  probe.mounts = {*m};
  if (auto plan = engine::plan_mounts({}, probe); !plan)
    return fail(bad_value(flag, raw, plan.error()));
  h.mounts.push_back(*m);
  return {};
}

Status add_tmpfs_flag(const std::string& raw, engine::HostConfig& h) {
  auto colon = raw.find(':');
  std::string dest = raw.substr(0, colon);
  std::string options = colon == std::string::npos ? "" : raw.substr(colon + 1);
  engine::HostConfig probe;
  probe.tmpfs[dest] = options;
  if (auto plan = engine::plan_mounts({}, probe); !plan)
    return fail(bad_value("--tmpfs", raw, plan.error()));
  h.tmpfs[dest] = options;
  return {};
}

// --security-opt seccomp=FILE sends the profile itself, compacted, as the docker CLI does.
Result<std::string> security_opt(const std::string& opt) {
  const std::string flag = "--security-opt";
  if (opt == "no-new-privileges" || opt == "disable") return opt;
  auto sep = opt.find('=');
  if (sep == std::string::npos) sep = opt.find(':');
  if (sep == std::string::npos) return fail(bad_value(flag, opt, plain_error("want KEY=VALUE")));
  std::string key = opt.substr(0, sep), value = opt.substr(sep + 1);
  if (key == "seccomp" && value != "unconfined" && value != "builtin") {
    auto text = fs::read_file(value);
    if (!text)
      return fail_msg("opening seccomp profile (" + value + ") failed: " + text.error().what());
    auto j = parse_json_text(*text, "seccomp profile " + quote(value));
    if (!j) return fail(j.error());
    return "seccomp=" + j->dump();
  }
  if (key == "seccomp" || key == "no-new-privileges" || key == "apparmor" || key == "label")
    return opt;
  return fail(bad_value(flag, opt, plain_error("unknown option " + quote(key))));
}

Result<std::string> extra_host(const std::string& raw) {
  auto sep = raw.find('=');
  if (sep == std::string::npos) sep = raw.find(':');
  if (sep == std::string::npos || sep == 0)
    return fail_msg("bad format for add-host: " + quote(raw));
  std::string name = raw.substr(0, sep), ip = raw.substr(sep + 1);
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (ip != "host-gateway" && !is_ip(ip))
    return fail_msg("invalid IP address in add-host: " + quote(ip));
  return name + ":" + ip;
}

Status check_sysctl(const std::string& raw) {
  static const char* keys[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                               "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                               "kernel.shmmni", "kernel.shm_rmid_forced"};
  auto eq = raw.find('=');
  std::string key = raw.substr(0, eq);
  bool ok =
      eq != std::string::npos && !key.empty() &&
      (key.starts_with("net.") || key.starts_with("fs.mqueue.") ||
       std::any_of(std::begin(keys), std::end(keys), [&](const char* k) { return key == k; }));
  if (!ok)
    return fail(bad_value("--sysctl", raw, plain_error("sysctl '" + raw + "' is not allowed")));
  return {};
}

Result<int> int_value(const std::string& flag, const std::string& value) {
  auto v = flag_value(flag, value, parse_int64);
  if (!v) return fail(v.error());
  if (*v < INT_MIN || *v > INT_MAX)
    return fail(bad_value(flag, value, plain_error("value out of range")));
  return static_cast<int>(*v);
}

Status fill_config(const ContainerFlags& f, engine::ContainerConfig& c) {
  for (const auto& a : f.attach) {
    auto stream = to_lower(a);
    if (stream != "stdin" && stream != "stdout" && stream != "stderr")
      return fail(
          bad_value("-a, --attach", a, plain_error("valid streams are STDIN, STDOUT and STDERR")));
    if (stream == "stdin") c.attach_stdin = true;
    if (stream == "stdout") c.attach_stdout = true;
    if (stream == "stderr") c.attach_stderr = true;
  }
  if (f.interactive) c.attach_stdin = true;
  if (f.attach.empty()) c.attach_stdout = c.attach_stderr = true;
  c.hostname = f.hostname;
  c.domainname = f.domainname;
  c.user = f.user;
  c.tty = f.tty;
  c.open_stdin = f.interactive;
  for (const auto& path : f.env_files) {
    auto entries = read_env_file(path);
    if (!entries) return fail(entries.error().wrap("--env-file"));
    c.env.insert(c.env.end(), entries->begin(), entries->end());
  }
  for (const auto& e : f.env) {
    auto entry = env_entry(e);
    if (!entry) return fail(bad_value("-e, --env", e, entry.error()));
    c.env.push_back(*entry);
  }
  if (f.entrypoint) c.entrypoint = std::vector<std::string>{*f.entrypoint};
  c.working_dir = f.workdir;
  for (const auto& path : f.label_files) {
    auto entries = read_label_file(path);
    if (!entries) return fail(entries.error().wrap("--label-file"));
    for (const auto& l : *entries) c.labels[l.substr(0, l.find('='))] = l.substr(l.find('=') + 1);
  }
  for (const auto& l : f.labels) {
    auto eq = l.find('=');
    c.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  for (const auto& e : f.expose) {
    auto ports = parse_expose(e);
    if (!ports) return fail_msg("invalid range format for --expose: " + ports.error().message);
    for (auto& p : *ports)
      if (std::find(c.exposed_ports.begin(), c.exposed_ports.end(), p) == c.exposed_ports.end())
        c.exposed_ports.push_back(std::move(p));
  }
  if (!f.stop_signal.empty()) {
    auto sig = flag_value("--stop-signal", f.stop_signal, parse_signal);
    if (!sig) return fail(sig.error());
    c.stop_signal = f.stop_signal;
  }
  if (!f.stop_timeout.empty())
    c.stop_timeout = BERTH_TRY(int_value("--stop-timeout", f.stop_timeout));
  if (c.open_stdin && c.attach_stdin) c.stdin_once = true;
  if (f.detach) {
    if (!f.attach.empty())
      return fail_msg("conflicting options: cannot specify both --attach and --detach");
    c.attach_stdin = c.attach_stdout = c.attach_stderr = false;
    c.stdin_once = false;
  }
  return {};
}

Status fill_resources(const ContainerFlags& f, engine::HostConfig& h) {
  if (!f.memory.empty()) {
    auto v = flag_value("-m, --memory", f.memory, parse_ram_size);
    if (!v) return fail(v.error());
    h.memory = *v;
  }
  if (!f.memory_swap.empty()) {
    if (f.memory_swap == "-1") {
      h.memory_swap = -1;
    } else {
      auto v = flag_value("--memory-swap", f.memory_swap, parse_ram_size);
      if (!v) return fail(v.error());
      h.memory_swap = *v;
    }
  }
  if (!f.cpus.empty()) {
    auto v = flag_value("--cpus", f.cpus, parse_nano_cpus);
    if (!v) return fail(v.error());
    h.nano_cpus = *v;
  }
  auto int64_flag = [](const std::string& flag, const std::string& value, int64_t& out) -> Status {
    if (value.empty()) return {};
    auto v = flag_value(flag, value, parse_int64);
    if (!v) return fail(v.error());
    out = *v;
    return {};
  };
  BERTH_CHECK(int64_flag("-c, --cpu-shares", f.cpu_shares, h.cpu_shares));
  BERTH_CHECK(int64_flag("--cpu-period", f.cpu_period, h.cpu_period));
  BERTH_CHECK(int64_flag("--cpu-quota", f.cpu_quota, h.cpu_quota));
  if (!f.pids_limit.empty()) {
    int64_t limit = 0;
    BERTH_CHECK(int64_flag("--pids-limit", f.pids_limit, limit));
    h.pids_limit = limit;
  }
  if (!f.shm_size.empty()) {
    auto v = flag_value("--shm-size", f.shm_size, parse_ram_size);
    if (!v) return fail(v.error());
    h.shm_size = *v;
  }
  for (const auto& raw : f.ulimits) {
    auto u = flag_value("--ulimit", raw, parse_ulimit);
    if (!u) return fail(u.error());
    auto same = std::find_if(h.ulimits.begin(), h.ulimits.end(),
                             [&](const engine::Ulimit& e) { return e.name == u->name; });
    if (same != h.ulimits.end()) {
      *same = *u;
    } else {
      h.ulimits.push_back(*u);
    }
  }
  for (const auto& raw : f.devices) {
    auto d = flag_value("--device", raw, parse_device);
    if (!d) return fail(d.error());
    h.devices.push_back(*d);
  }
  return {};
}

Status fill_host_config(const ContainerFlags& f, engine::ContainerConfig& c,
                        engine::HostConfig& h) {
  if (!f.publish.empty() || f.publish_all)
    return fail_msg(std::string(f.publish_all ? "-P, --publish-all" : "-p, --publish") +
                    ": publishing ports is not supported yet (use --network host)");
  for (const auto& v : f.volumes) BERTH_CHECK(add_volume_flag(v, c, h));
  for (const auto& m : f.mounts) BERTH_CHECK(add_mount_flag(m, h));
  for (const auto& t : f.tmpfs) BERTH_CHECK(add_tmpfs_flag(t, h));
  h.readonly_rootfs = f.read_only;
  h.privileged = f.privileged;
  h.cap_add = f.cap_add;
  h.cap_drop = f.cap_drop;
  for (const auto& o : f.security_opts) h.security_opt.push_back(BERTH_TRY(security_opt(o)));
  h.group_add = f.group_add;
  BERTH_CHECK(fill_resources(f, h));
  for (const auto& s : f.sysctls) {
    BERTH_CHECK(check_sysctl(s));
    auto eq = s.find('=');
    h.sysctls[s.substr(0, eq)] = s.substr(eq + 1);
  }
  if (!f.oom_score_adj.empty())
    h.oom_score_adj = BERTH_TRY(int_value("--oom-score-adj", f.oom_score_adj));
  h.init = f.init;
  auto restart = flag_value("--restart", f.restart, parse_restart_policy);
  if (!restart) return fail(restart.error());
  h.restart_policy = *restart;
  if (f.auto_remove && !restart->name.empty() && restart->name != "no")
    return fail_msg("conflicting options: cannot specify both --restart and --rm");
  h.auto_remove = f.auto_remove;

  h.network_mode = f.network.empty() ? "default" : f.network;
  h.pid_mode = f.pid;
  if (!f.pid.empty() && f.pid != "host" && !(f.pid.starts_with("container:") && f.pid.size() > 10))
    return fail_msg("--pid: invalid PID mode");
  h.ipc_mode = f.ipc;
  if (!f.ipc.empty() && f.ipc != "host" && f.ipc != "private" && f.ipc != "shareable" &&
      f.ipc != "none" && !(f.ipc.starts_with("container:") && f.ipc.size() > 10))
    return fail_msg("--ipc: invalid IPC mode");
  h.uts_mode = f.uts;
  if (!f.uts.empty() && f.uts != "host") return fail_msg("--uts: invalid UTS mode");
  if (f.uts == "host" && !f.hostname.empty())
    return fail_msg("conflicting options: hostname and the UTS mode");
  h.userns_mode = f.userns;

  for (const auto& d : f.dns) {
    if (!is_ip(d)) return fail(bad_value("--dns", d, plain_error(d + " is not an ip address")));
    h.dns.push_back(d);
  }
  for (const auto& s : f.dns_search) {
    if (s != "." && (s.empty() || s.size() > 255 || s.find_first_of(" \t/") != std::string::npos))
      return fail(bad_value("--dns-search", s, plain_error(s + " is not a valid domain")));
    h.dns_search.push_back(s);
  }
  h.dns_options = f.dns_options;
  for (const auto& e : f.add_hosts) {
    auto host = extra_host(e);
    if (!host) return fail(bad_value("--add-host", e, host.error()));
    h.extra_hosts.push_back(*host);
  }

  h.log_config.type = f.log_driver;
  for (const auto& o : f.log_opts) {
    auto eq = o.find('=');
    h.log_config.config[o.substr(0, eq)] = eq == std::string::npos ? "" : o.substr(eq + 1);
  }
  if (f.log_driver == "none" && !f.log_opts.empty())
    return fail_msg("invalid logging opts for driver none");
  return {};
}

}  // namespace

void add_container_flags(CLI::App& cmd, ContainerFlags& f, bool run) {
  cmd.set_help_flag("--help", "Print usage");
  cmd.prefix_command();
  auto list = [&](const std::string& names, std::vector<std::string>& target,
                  const std::string& what) {
    cmd.add_option(names, target, what)->allow_extra_args(false)->take_all();
  };
  if (run) cmd.add_flag("-d,--detach", f.detach, "Run in the background and print the id");
  cmd.add_flag("-i,--interactive", f.interactive, "Keep STDIN open even if not attached");
  cmd.add_flag("-t,--tty", f.tty, "Allocate a pseudo-TTY");
  cmd.add_flag("--rm", f.auto_remove, "Remove the container when it exits");
  cmd.add_option("--name", f.name, "Name the container");
  list("-a,--attach", f.attach, "Attach to STDIN, STDOUT or STDERR");
  list("-e,--env", f.env, "Set an environment variable");
  list("--env-file", f.env_files, "Read environment variables from a file");
  cmd.add_option("-w,--workdir", f.workdir, "Working directory inside the container");
  cmd.add_option("-u,--user", f.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  list("--group-add", f.group_add, "Add additional groups to join");
  cmd.add_option_function<std::string>(
      "--entrypoint", [&f](const std::string& v) { f.entrypoint = v; },
      "Overwrite the default ENTRYPOINT of the image");
  cmd.add_option("-h,--hostname", f.hostname, "Container host name");
  cmd.add_option("--domainname", f.domainname, "Container NIS domain name");
  list("-v,--volume", f.volumes, "Bind mount a volume");
  list("--mount", f.mounts, "Attach a filesystem mount to the container");
  list("--tmpfs", f.tmpfs, "Mount a tmpfs directory");
  cmd.add_flag("--read-only", f.read_only, "Mount the container's root filesystem as read only");
  cmd.add_flag("--privileged", f.privileged, "Give extended privileges to this container");
  list("--cap-add", f.cap_add, "Add Linux capabilities");
  list("--cap-drop", f.cap_drop, "Drop Linux capabilities");
  list("--security-opt", f.security_opts, "Security Options");
  list("--device", f.devices, "Add a host device to the container");
  cmd.add_option("-m,--memory", f.memory, "Memory limit");
  cmd.add_option("--memory-swap", f.memory_swap,
                 "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
  cmd.add_option("--cpus", f.cpus, "Number of CPUs");
  cmd.add_option("-c,--cpu-shares", f.cpu_shares, "CPU shares (relative weight)");
  cmd.add_option("--cpu-period", f.cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period");
  cmd.add_option("--cpu-quota", f.cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota");
  cmd.add_option("--pids-limit", f.pids_limit, "Tune container pids limit (set -1 for unlimited)");
  list("--ulimit", f.ulimits, "Ulimit options");
  cmd.add_option("--shm-size", f.shm_size, "Size of /dev/shm");
  list("--sysctl", f.sysctls, "Sysctl options");
  cmd.add_flag_function(
      "--init", [&f](std::int64_t n) { f.init = n > 0; },
      "Run an init inside the container that forwards signals and reaps processes");
  cmd.add_option("--restart", f.restart, "Restart policy to apply when a container exits");
  cmd.add_option("--stop-signal", f.stop_signal, "Signal to stop the container");
  cmd.add_option("--stop-timeout", f.stop_timeout, "Timeout (in seconds) to stop a container");
  list("-l,--label", f.labels, "Set meta data on a container");
  list("--label-file", f.label_files, "Read in a line delimited file of labels");
  cmd.add_option("--network,--net", f.network, "Connect a container to a network (host, none)");
  cmd.add_option("--pid", f.pid, "PID namespace to use");
  cmd.add_option("--ipc", f.ipc, "IPC mode to use");
  cmd.add_option("--uts", f.uts, "UTS namespace to use");
  cmd.add_option("--userns", f.userns, "User namespace to use");
  cmd.add_option("--oom-score-adj", f.oom_score_adj, "Tune host's OOM preferences (-1000 to 1000)");
  list("--dns", f.dns, "Set custom DNS servers");
  list("--dns-search", f.dns_search, "Set custom DNS search domains");
  list("--dns-option", f.dns_options, "Set DNS options");
  list("--add-host", f.add_hosts, "Add a custom host-to-IP mapping (host:ip)");
  list("--expose", f.expose, "Expose a port or a range of ports");
  list("-p,--publish", f.publish, "Publish a container's port(s) to the host");
  cmd.add_flag("-P,--publish-all", f.publish_all, "Publish all exposed ports to random ports");
  cmd.add_option("--log-driver", f.log_driver, "Logging driver for the container");
  list("--log-opt", f.log_opts, "Log driver options");
}

Result<ImageAndCommand> image_and_command(const std::vector<std::string>& remaining,
                                          const std::string& verb) {
  size_t i = 0;
  if (i < remaining.size() && remaining[i] == "--") ++i;
  if (i >= remaining.size()) return fail_msg("\"berth " + verb + "\" requires at least 1 argument");
  if (remaining[i].size() > 1 && remaining[i][0] == '-')
    return fail_msg("unknown flag: " + remaining[i].substr(0, remaining[i].find('=')));
  ImageAndCommand out;
  out.image = remaining[i];
  out.command.assign(remaining.begin() + static_cast<std::ptrdiff_t>(i) + 1, remaining.end());
  return out;
}

Result<engine::CreateRequest> to_create_request(const ContainerFlags& flags,
                                                const std::string& image,
                                                const std::vector<std::string>& args) {
  engine::CreateRequest r;
  r.name = flags.name;
  r.config.image = image;
  if (!args.empty()) r.config.cmd = args;
  BERTH_CHECK(fill_config(flags, r.config));
  BERTH_CHECK(fill_host_config(flags, r.config, r.host_config));
  return r;
}

}  // namespace berth::cli
