#include "monitor/supervise/supervisor.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "monitor/exit_record.hpp"
#include "monitor/oom_count.hpp"
#include "monitor/restart_policy.hpp"
#include "runtime/state.hpp"

namespace berth::monitor {
namespace {

constexpr int kForwardedSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

int exit_code_of(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return info.si_status;
  return 128 + info.si_status;
}

}  // namespace

Supervisor::Supervisor(std::string run_dir, MonitorConfig config, int sync_fd)
    : run_dir_(std::move(run_dir)), config_(std::move(config)), sync_(sync_fd) {
  rt_.root = config_.runtime_root;
  rt_.rootless = config_.rootless;
  rt_.systemd_cgroup = config_.systemd_cgroup;
}

void Supervisor::report(const std::string& key, const std::string& value) {
  if (!sync_) return;
  nlohmann::json j = {{key, value}};
  (void)sys::write_all(sync_.get(), j.dump() + "\n");
  sync_.reset();
}

bool Supervisor::stop_requested() const {
  return fs::exists(stop_marker_path(run_dir_));
}

Status Supervisor::start_once(bool first) {
  auto stdio = BERTH_TRY(StdioForCreate::make(config_.open_stdin, config_.tty));
  runtime::CreateOptions opts;
  opts.id = config_.id;
  opts.bundle = config_.bundle;
  opts.foreground = true;  // init stays our child; a terminal's master comes back to us
  auto created = runtime::create_container(rt_, opts);
  stdio_ = BERTH_TRY(stdio.finish());
  if (!created) return fail(created.error());
  stdio_.pty_master = std::move(created->pty_master);
  init_pid_ = created->state.pid;
  init_pidfd_ = std::move(created->pidfd);
  cgroup_paths_ = created->state.cgroup_paths;
  oom_kills_before_ = oom_kill_count(cgroup_paths_);
  // The runtime's parsing of the spec is done: give its heap back, as hundreds of monitors live.
  ::malloc_trim(0);

  if (first && config_.attach_wait) {
    report("pid", std::to_string(init_pid_));
    if (auto r = wait_for_first_client(); !r) {
      (void)runtime::delete_container(rt_, config_.id, true);
      return r;
    }
  }
  if (auto r = runtime::start_container(rt_, config_.id); !r) {
    (void)runtime::delete_container(rt_, config_.id, true);
    return r;
  }
  started_at_ = rfc3339_now();
  started_ = std::chrono::steady_clock::now();
  // With our own pid, so that the engine can adopt a container whose start it did not see end.
  nlohmann::json running = {{"Pid", init_pid_},
                            {"StartedAt", started_at_},
                            {"RestartCount", restart_count_},
                            {"MonitorPid", ::getpid()},
                            {"MonitorStartTime", runtime::process_start_time(::getpid())}};
  BERTH_CHECK(fs::write_file_atomic(running_record_path(run_dir_), running.dump(), 0600));
  report("pid", std::to_string(init_pid_));
  return {};
}

Status Supervisor::wait_for_first_client() {
  // The client that asked for attach_wait connects as soon as it reads our pid; should it die
  // first, the container runs unattached after a while, as a detached one would.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!clients_.any_said_hello()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    std::vector<pollfd> fds{{clients_.listen_fd(), POLLIN, 0}};
    clients_.add_poll_fds(fds);
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) return fail_sys("poll for the first attach client");
    if (n <= 0) continue;
    for (size_t i = fds.size() - 1; i >= 1; --i)
      if (fds[i].revents) handle_client(i - 1);
    if (fds[0].revents & POLLIN) clients_.accept_one();
  }
  return {};
}

void Supervisor::forward_signal(int sig) {
  if (init_pidfd_) (void)sys::pidfd_send_signal(init_pidfd_.get(), sig);
}

bool Supervisor::read_output(int fd, FrameType stream) {
  char buf[32768];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;  // EOF, or EIO from a pty whose other side is gone
  std::string_view data(buf, static_cast<size_t>(n));
  if (log_)
    (void)log_->write(stream == FrameType::stderr_data ? LogStream::stderr_ : LogStream::stdout_,
                      data);
  clients_.send_output(stream, data);
  return true;
}

void Supervisor::handle_client(size_t index) {
  ClientInput in = clients_.read_client(index);
  int in_fd = stdio_.pty_master ? stdio_.pty_master.get() : stdio_.stdin_w.get();
  if (!in.stdin_data.empty() && in_fd >= 0) (void)sys::write_all(in_fd, in.stdin_data);
  if (in.resized && stdio_.pty_master) {
    struct winsize ws {};
    ws.ws_row = in.rows;
    ws.ws_col = in.cols;
    ::ioctl(stdio_.pty_master.get(), TIOCSWINSZ, &ws);
  }
  if (in.stdin_closed && config_.stdin_once) stdio_.stdin_w.reset();
}

Result<int> Supervisor::pump_until_exit() {
  for (;;) {
    std::vector<pollfd> fds;
    fds.push_back({init_pidfd_.get(), POLLIN, 0});
    fds.push_back({signals_.get(), POLLIN, 0});
    fds.push_back({stdio_.pty_master ? stdio_.pty_master.get() : stdio_.stdout_r.get(), POLLIN, 0});
    fds.push_back({stdio_.stderr_r.get(), POLLIN, 0});
    fds.push_back({clients_.listen_fd(), POLLIN, 0});
    const size_t first_client = fds.size();
    clients_.add_poll_fds(fds);
    int n = ::poll(fds.data(), fds.size(), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_sys("poll in the monitor of " + config_.id);
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si;
      if (::read(signals_.get(), &si, sizeof(si)) == sizeof(si))
        forward_signal(static_cast<int>(si.ssi_signo));
    }
    if (fds[2].revents && !read_output(fds[2].fd, FrameType::stdout_data)) {
      if (stdio_.pty_master)
        stdio_.pty_master.reset();
      else
        stdio_.stdout_r.reset();
    }
    if (fds[3].revents && !read_output(fds[3].fd, FrameType::stderr_data)) stdio_.stderr_r.reset();
    for (size_t i = fds.size(); i-- > first_client;)
      if (fds[i].revents) handle_client(i - first_client);
    if (fds[4].revents & POLLIN) clients_.accept_one();
    if (fds[0].revents & POLLIN) {
      siginfo_t info{};
      if (::waitid(P_PIDFD, static_cast<id_t>(init_pidfd_.get()), &info, WEXITED) < 0)
        return fail_sys("wait for the init of " + config_.id);
      drain_output();
      return exit_code_of(info);
    }
  }
}

void Supervisor::drain_output() {
  // Init is gone and with it its pid namespace, so the pipes are at EOF once what is in them is
  // read; with --pid host something may keep them open: stop after a short while.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<pollfd> fds;
    int out = stdio_.pty_master ? stdio_.pty_master.get() : stdio_.stdout_r.get();
    if (out >= 0) fds.push_back({out, POLLIN, 0});
    if (stdio_.stderr_r) fds.push_back({stdio_.stderr_r.get(), POLLIN, 0});
    if (fds.empty()) break;
    if (::poll(fds.data(), fds.size(), 50) <= 0) break;
    for (auto& p : fds) {
      if (!p.revents) continue;
      bool is_err = p.fd == stdio_.stderr_r.get();
      if (!read_output(p.fd, is_err ? FrameType::stderr_data : FrameType::stdout_data)) {
        if (is_err)
          stdio_.stderr_r.reset();
        else if (stdio_.pty_master)
          stdio_.pty_master.reset();
        else
          stdio_.stdout_r.reset();
      }
    }
  }
  if (log_) (void)log_->flush();
  stdio_ = ContainerStdio{};
}

bool Supervisor::sleep_before_restart(std::chrono::milliseconds delay) {
  auto deadline = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stop_requested()) return false;
    pollfd p{signals_.get(), POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      signalfd_siginfo si;
      (void)::read(signals_.get(), &si, sizeof(si));
      return false;  // a signal meant for a container that is not there: stop restarting
    }
  }
  return !stop_requested();
}

Result<bool> Supervisor::run() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  signals_ = unique_fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signals_) return fail_sys("signalfd");
  ::signal(SIGPIPE, SIG_IGN);

  if (!config_.log_path.empty()) {
    auto log = JsonFileLog::open(config_.log_path,
                                 LogRotation{config_.log_max_size, config_.log_max_file});
    if (!log) {
      report("error", log.error().what());
      return fail(log.error());
    }
    log_.emplace(std::move(*log));
  }
  if (auto r = clients_.listen(run_dir_); !r) {
    report("error", r.error().what());
    return fail(r.error());
  }

  std::chrono::milliseconds delay{0};
  for (bool first = true;; first = false) {
    if (auto r = start_once(first); !r) {
      // A first start that fails is the engine's error to print; a restart that fails ends
      // the container as Docker's does, with the reason in its state.
      report("error", r.error().what());
      clients_.send_error(r.error().what());
      ExitRecord rec;
      rec.exit_code = 128;
      rec.finished_at = rfc3339_now();
      rec.error = r.error().what();
      rec.restart_count = restart_count_;
      rec.started_at = started_at_;
      (void)write_exit_record(exit_record_path(run_dir_), rec);
      return first ? fail(r.error()) : Result<bool>(false);
    }
    int code = BERTH_TRY(pump_until_exit());
    ExitRecord rec;
    rec.exit_code = code;
    rec.oom_killed = oom_kill_count(cgroup_paths_) > oom_kills_before_;
    rec.started_at = started_at_;
    rec.finished_at = rfc3339_now();
    rec.restart_count = restart_count_;
    init_pidfd_.reset();
    (void)runtime::delete_container(rt_, config_.id, true);
    bool restart = should_restart(config_.restart, code, restart_count_, stop_requested());
    rec.restarting = restart;
    BERTH_CHECK(write_exit_record(exit_record_path(run_dir_), rec));
    bool client_cleans = clients_.send_exit(code);
    clients_.close_all();
    if (!restart) return client_cleans;
    auto ran = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started_);
    delay = restart_delay(delay, ran);
    if (!sleep_before_restart(delay)) {
      rec.restarting = false;
      BERTH_CHECK(write_exit_record(exit_record_path(run_dir_), rec));
      return false;
    }
    ++restart_count_;
  }
}

}  // namespace berth::monitor
