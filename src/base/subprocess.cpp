#include "base/subprocess.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"

namespace berth::subprocess {

Result<std::string> capture(const std::vector<std::string>& argv) {
  if (argv.empty()) return fail_msg("run: no command");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return fail_sys("pipe for " + argv[0]);
  unique_fd read_end(fds[0]), write_end(fds[1]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_sys("fork for " + argv[0]);
  if (pid == 0) {
    ::dup2(write_end.get(), 1);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  write_end.reset();
  auto out = fs::read_fd(read_end.get());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!out) return fail(out.error().wrap("read output of " + argv[0]));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail_msg(quote(argv[0]) + " failed with status " + std::to_string(WEXITSTATUS(status)));
  return out;
}

}  // namespace berth::subprocess
