#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <sstream>

#include "base/fs.hpp"
#include "base/subprocess.hpp"
#include "cli/runtime/commands.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/seccomp.hpp"

namespace berth::cli {

namespace {

Result<int> print_state(const runtime::RuntimeOptions& rt, const std::string& id) {
  auto state = BERTH_TRY(runtime::load_state(rt.root, id));
  auto status = runtime::container_status(rt, state);
  std::cout << runtime::state_json(state, status).dump(2) << "\n";
  return 0;
}

// Columns as runc prints them (Go's tabwriter: minimum width 12, padding 3).
std::string align_columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out.append(std::max<size_t>(widths[i] + 3, 12) - row[i].size(), ' ');
    }
    out += "\n";
  }
  return out;
}

Result<int> print_list(const runtime::RuntimeOptions& rt, const std::string& format, bool quiet) {
  auto ids = BERTH_TRY(runtime::list_container_ids(rt.root));
  nlohmann::json all = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows = {
      {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& id : ids) {
    auto state = runtime::load_state(rt.root, id);
    if (!state) continue;
    auto status = runtime::container_status(rt, *state);
    pid_t pid = status == runtime::ContainerStatus::stopped ? 0 : state->pid;
    if (quiet) {
      std::cout << id << "\n";
    } else if (format == "json") {
      auto j = runtime::state_json(*state, status);
      j["owner"] = std::to_string(state->owner);
      all.push_back(j);
    } else {
      rows.push_back({id, std::to_string(pid), runtime::status_name(status), state->bundle,
                      state->created, std::to_string(state->owner)});
    }
  }
  if (quiet) return 0;
  if (format == "json")
    std::cout << all.dump() << "\n";
  else
    std::cout << align_columns(rows);
  return 0;
}

// `ps` in table form runs the host's ps and keeps the rows of the container's processes.
Result<int> print_ps(const runtime::RuntimeOptions& rt, const std::string& id,
                     const std::string& format, const std::vector<std::string>& ps_args) {
  auto pids = BERTH_TRY(runtime::container_pids(rt, id));
  if (format == "json") {
    std::cout << nlohmann::json(pids).dump() << "\n";
    return 0;
  }
  std::vector<std::string> argv = {"ps"};
  if (ps_args.empty()) argv.push_back("-ef");
  argv.insert(argv.end(), ps_args.begin(), ps_args.end());
  auto out = BERTH_TRY(subprocess::capture(argv));
  std::istringstream lines(out);
  std::string header;
  std::getline(lines, header);
  // The PID column is found from the header, since ps options can move it.
  std::istringstream hs(header);
  std::string col;
  int pid_col = -1;
  for (int i = 0; hs >> col; ++i)
    if (col == "PID") pid_col = i;
  if (pid_col < 0) return fail_msg("ps output has no PID column");
  std::set<pid_t> wanted(pids.begin(), pids.end());
  std::cout << header << "\n";
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream ls(line);
    std::string field;
    for (int i = 0; i <= pid_col; ++i) ls >> field;
    if (wanted.count(std::atoi(field.c_str()))) std::cout << line << "\n";
  }
  return 0;
}

nlohmann::json features() {
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.1.0"},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions",
       {"async",      "atime",   "bind",       "defaults",      "dev",         "diratime",
        "dirsync",    "exec",    "idmap",      "iversion",      "lazytime",    "loud",
        "mand",       "noatime", "nodev",      "nodiratime",    "noexec",      "noiversion",
        "nolazytime", "nomand",  "norelatime", "nostrictatime", "nosuid",      "nosymfollow",
        "private",    "rbind",   "rdev",       "rexec",         "ridmap",      "relatime",
        "remount",    "ro",      "rprivate",   "rshared",       "rslave",      "runbindable",
        "rw",         "shared",  "silent",     "slave",         "strictatime", "suid",
        "symfollow",  "sync",    "unbindable"}},
      {"linux",
       {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
        {"capabilities", runtime::all_capability_names()},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions", runtime::seccomp_actions()},
          {"operators", runtime::seccomp_operators()},
          {"archs", runtime::seccomp_archs()},
          {"knownFlags", runtime::seccomp_flags()},
          {"supportedFlags", runtime::seccomp_flags()}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}},
        {"intelRdt", {{"enabled", false}}},
        {"mountExtensions", {{"idmap", {{"enabled", true}}}}}}},
      {"annotations", {{"org.opencontainers.runtime-spec.features.runtime", "berth-runtime"}}}};
}

}  // namespace

void add_info_commands(CLI::App& app, runtime::RuntimeOptions& rt, Action& action) {
  static std::string id, format = "table";
  static bool quiet = false;
  static std::vector<std::string> ps_args;

  auto* state = app.add_subcommand("state", "print a container's state as JSON");
  state->add_option("id", id, "container id")->required();
  state->callback([&] { action = [&] { return print_state(rt, id); }; });

  auto* list = app.add_subcommand("list", "list containers");
  list->alias("ls");
  list->add_option("-f,--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
  list->add_flag("-q,--quiet", quiet, "only ids");
  list->callback([&] { action = [&] { return print_list(rt, format, quiet); }; });

  auto* ps = app.add_subcommand("ps", "list a container's processes");
  ps->add_option("-f,--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
  ps->add_option("id", id, "container id")->required();
  ps->add_option("ps-args", ps_args, "options passed to ps");
  ps->callback([&] { action = [&] { return print_ps(rt, id, format, ps_args); }; });

  auto* feat = app.add_subcommand("features", "print what this runtime supports, as JSON");
  feat->callback([&] {
    action = []() -> Result<int> {
      std::cout << features().dump(2) << "\n";
      return 0;
    };
  });
}

}  // namespace berth::cli
