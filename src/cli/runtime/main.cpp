#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "base/fs.hpp"
#include "cli/runtime/commands.hpp"

namespace {

constexpr const char* kVersion = "0.1.0";

struct LogOptions {
  std::string path;
  std::string format = "text";
  bool debug = false;
};

std::string json_escape(const std::string& s) {
  return nlohmann::json(s).dump();
}

// One line on stderr, and the same in the --log file in the format the caller asked for:
// containerd and conmon read the last error line from there.
void report_error(const LogOptions& log, const std::string& message) {
  std::fprintf(stderr, "berth-runtime: %s\n", message.c_str());
  if (log.path.empty()) return;
  FILE* f = std::fopen(log.path.c_str(), "ae");
  if (f == nullptr) return;
  char when[64];
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  if (log.format == "json")
    std::fprintf(f, "{\"level\":\"error\",\"msg\":%s,\"time\":\"%s\"}\n",
                 json_escape(message).c_str(), when);
  else
    std::fprintf(f, "time=\"%s\" level=error msg=%s\n", when, json_escape(message).c_str());
  std::fclose(f);
}

std::string default_root(bool rootless) {
  if (!rootless) return "/run/berth-runtime";
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg != nullptr && *xdg != '\0') return std::string(xdg) + "/berth-runtime";
  return "/tmp/berth-runtime-" + std::to_string(::geteuid());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace berth;
  CLI::App app{"berth-runtime: an OCI container runtime"};
  app.set_version_flag("-v,--version",
                       std::string("berth-runtime version ") + kVersion + "\nspec: 1.0.2");
  app.require_subcommand(1);
  app.fallthrough();

  runtime::RuntimeOptions rt;
  LogOptions log;
  std::string rootless = "auto";
  app.add_option("--root", rt.root, "state directory");
  app.add_option("--log", log.path, "log file for errors");
  app.add_option("--log-format", log.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", log.debug, "debug output");
  app.add_flag("--systemd-cgroup", rt.systemd_cgroup, "use systemd for cgroups");
  app.add_option("--rootless", rootless, "true, false or auto")
      ->check(CLI::IsMember({"true", "false", "auto"}));
  std::string criu;
  app.add_option("--criu", criu, "ignored: checkpoint/restore is not supported");

  cli::Action action;
  cli::add_lifecycle_commands(app, rt, action);
  cli::add_exec_command(app, rt, action);
  cli::add_info_commands(app, rt, action);
  cli::add_update_command(app, rt, action);

  // exec: everything after the container id is the command, flags included; CLI11 sees only
  // what comes before it.
  int parsed_argc = cli::split_exec_command(argc, argv);
  try {
    app.parse(parsed_argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    report_error(log, e.what());
    return 1;
  }
  if (!log.path.empty()) {
    // runc creates its log file at start: callers wait for it.
    int fd = ::open(log.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
  }
  rt.argv = argv;
  rt.rootless = rootless == "auto" ? ::geteuid() != 0 : rootless == "true";
  if (rt.root.empty()) rt.root = default_root(::geteuid() != 0);
  ::umask(022);

  auto result = action();
  if (!result) {
    report_error(log, result.error().what());
    return 1;
  }
  return *result;
}
