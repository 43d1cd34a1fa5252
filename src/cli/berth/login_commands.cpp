#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/berth/commands.hpp"
#include "image/login.hpp"

namespace berth::cli {
namespace {

struct LoginFlags {
  std::string server;
  std::string user;
  std::string password;
  bool password_stdin = false;
};

Result<std::string> read_line(const std::string& prompt, bool secret) {
  bool tty = ::isatty(STDIN_FILENO) == 1;
  if (tty) {
    std::fprintf(stderr, "%s", prompt.c_str());
    std::fflush(stderr);
  }
  struct termios saved = {};
  bool hide = secret && tty && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (hide) {
    struct termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (hide) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fprintf(stderr, "\n");
  }
  if (!ok && line.empty())
    return fail_msg("login: no " + std::string(secret ? "password" : "username") +
                    " given on stdin");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<int> run_login(Context& ctx, LoginFlags f) {
  if (f.password_stdin) {
    if (!f.password.empty())
      return fail_msg("--password and --password-stdin are mutually exclusive");
    if (f.user.empty()) return fail_msg("must provide --username with --password-stdin");
    f.password = BERTH_TRY(read_line("", true));
  }
  if (f.user.empty()) f.user = BERTH_TRY(read_line("Username: ", false));
  if (f.password.empty()) f.password = BERTH_TRY(read_line("Password: ", true));
  if (f.user.empty()) return fail_msg("login: a username is required");
  if (f.password.empty()) return fail_msg("login: a password is required");
  BERTH_CHECK(image::login(f.server, f.user, f.password, ctx.registry_config()));
  std::printf("Login Succeeded\n");
  return 0;
}

Result<int> run_logout(Context& ctx, const std::string& server) {
  std::printf("Removing login credentials for %s\n", server.empty() || server == "docker.io"
                                                         ? "https://index.docker.io/v1/"
                                                         : server.c_str());
  BERTH_CHECK(image::logout(server, ctx.registry_config()));
  return 0;
}

}  // namespace

void add_login_commands(CLI::App& top, Action& action) {
  auto flags = std::make_shared<LoginFlags>();
  CLI::App* login = top.add_subcommand("login", "log in to a registry");
  login->add_option("SERVER", flags->server, "registry host[:port] (default: Docker Hub)");
  login->add_option("-u,--username", flags->user, "user name");
  login->add_option("-p,--password", flags->password, "password");
  login->add_flag("--password-stdin", flags->password_stdin, "read the password from stdin");
  login->callback(
      [flags, &action] { action = [flags](Context& c) { return run_login(c, *flags); }; });

  auto server = std::make_shared<std::string>();
  CLI::App* logout = top.add_subcommand("logout", "log out from a registry");
  logout->add_option("SERVER", *server, "registry host[:port] (default: Docker Hub)");
  logout->callback(
      [server, &action] { action = [server](Context& c) { return run_logout(c, *server); }; });
}

}  // namespace berth::cli
