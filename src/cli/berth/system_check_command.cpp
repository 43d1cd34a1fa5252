#include <cstdio>

#include "cli/berth/commands.hpp"
#include "engine/rootless_check.hpp"

namespace berth::cli {
namespace {

using json = nlohmann::json;

constexpr const char* kRootNote =
    "root runs berth rootful, which needs none of this: these checks are for an ordinary user, so "
    "run `berth system check` as the user who will run berth. Shown for root: root's own "
    "subordinate ranges, cgroup and XDG_RUNTIME_DIR; the namespace probes ran as nobody.";

Result<int> run_check(Context& ctx, const std::string& format) {
  if (!format.empty() && format != "json")
    return fail_msg("--format: " + quote(format) + ": want json (or nothing, for lines)");
  engine::CheckInputs in = engine::current_user_inputs(ctx.paths().data_root);
  std::vector<engine::CheckResult> results = engine::rootless_checks(in);
  std::vector<engine::CheckResult> limits = engine::rootless_limits(in);
  bool all_ok = true;
  for (const auto& r : results) all_ok = all_ok && r.ok;
  const bool root = in.uid == 0;

  if (format == "json") {
    json checks = json::array();
    for (const auto& r : results)
      checks.push_back({{"name", r.name}, {"ok", r.ok}, {"detail", r.detail}, {"fix", r.fix}});
    json lifted = json::array();
    for (const auto& r : limits)
      lifted.push_back({{"name", r.name}, {"ok", r.ok}, {"detail", r.detail}, {"fix", r.fix}});
    json out = {
        {"user", in.user}, {"uid", in.uid}, {"ok", all_ok}, {"checks", checks}, {"limits", lifted}};
    if (root) out["note"] = kRootNote;
    std::printf("%s\n", out.dump(4).c_str());
    return all_ok ? 0 : 1;
  }
  if (root) std::printf("note: %s\n", kRootNote);
  for (const auto& r : results) {
    std::printf("%-7s %s: %s\n", r.ok ? "ok" : "missing", r.name.c_str(), r.detail.c_str());
    if (!r.ok && !r.fix.empty()) std::printf("        fix: %s\n", r.fix.c_str());
  }
  // Not needed to run rootless, so not in the exit status: what the admin may lift.
  for (const auto& r : limits) {
    std::printf("%-7s %s: %s\n", r.ok ? "ok" : "limit", r.name.c_str(), r.detail.c_str());
    if (!r.ok && !r.fix.empty()) std::printf("        lift: %s\n", r.fix.c_str());
  }
  return all_ok ? 0 : 1;
}

}  // namespace

void add_system_check_command(CLI::App& system, Action& action) {
  auto format = std::make_shared<std::string>();
  CLI::App* cmd = system.add_subcommand(
      "check", "what rootless berth needs for this user, what is missing, and how to fix it");
  cmd->add_option("-f,--format", *format, "json, or nothing for one line per check");
  cmd->callback(
      [format, &action] { action = [format](Context& c) { return run_check(c, *format); }; });
}

}  // namespace berth::cli
