#include "engine/container_state.hpp"

namespace berth::engine {
namespace {

template <typename T>
T get_or(const nlohmann::json& j, const char* key, T fallback) {
  if (!j.is_object() || !j.contains(key)) return fallback;
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

void set_flags(nlohmann::json& s, const char* status) {
  std::string st = status;
  s["Status"] = st;
  s["Running"] = st == "running" || st == "paused" || st == "restarting";
  s["Paused"] = st == "paused";
  s["Restarting"] = st == "restarting";
  s["Dead"] = st == "dead";
}

}  // namespace

nlohmann::json created_state() {
  nlohmann::json s = {{"Status", "created"},
                      {"Running", false},
                      {"Paused", false},
                      {"Restarting", false},
                      {"OOMKilled", false},
                      {"Dead", false},
                      {"Pid", 0},
                      {"ExitCode", 0},
                      {"Error", ""},
                      {"StartedAt", kZeroTime},
                      {"FinishedAt", kZeroTime},
                      {"RestartCount", 0}};
  return s;
}

void mark_running(nlohmann::json& s, pid_t pid, const std::string& started_at, pid_t monitor_pid,
                  unsigned long long monitor_start_time, int restart_count) {
  set_flags(s, "running");
  s["Pid"] = pid;
  s["StartedAt"] = started_at;
  s["ExitCode"] = 0;
  s["Error"] = "";
  s["OOMKilled"] = false;
  s["MonitorPid"] = monitor_pid;
  s["MonitorStartTime"] = monitor_start_time;
  s["RestartCount"] = restart_count;
}

void mark_exited(nlohmann::json& s, const monitor::ExitRecord& e) {
  set_flags(s, "exited");
  s["Pid"] = 0;
  s["ExitCode"] = e.exit_code;
  s["OOMKilled"] = e.oom_killed;
  s["Error"] = e.error;
  if (!e.started_at.empty()) s["StartedAt"] = e.started_at;
  s["FinishedAt"] = e.finished_at.empty() ? std::string(kZeroTime) : e.finished_at;
  s["RestartCount"] = e.restart_count;
  s.erase("MonitorPid");
  s.erase("MonitorStartTime");
}

void mark_restarting(nlohmann::json& s, const monitor::ExitRecord& e) {
  set_flags(s, "restarting");
  s["Pid"] = 0;
  s["ExitCode"] = e.exit_code;
  s["OOMKilled"] = e.oom_killed;
  s["FinishedAt"] = e.finished_at;
  s["RestartCount"] = e.restart_count;
}

void mark_paused(nlohmann::json& s, bool paused) {
  set_flags(s, paused ? "paused" : "running");
}

std::string status_of(const nlohmann::json& s) {
  return get_or<std::string>(s, "Status", "created");
}

bool is_active(const nlohmann::json& s) {
  auto st = status_of(s);
  return st == "running" || st == "paused" || st == "restarting";
}

bool is_running(const nlohmann::json& s) {
  auto st = status_of(s);
  return st == "running" || st == "paused";
}

pid_t pid_of(const nlohmann::json& s) {
  return get_or<pid_t>(s, "Pid", 0);
}
pid_t monitor_pid_of(const nlohmann::json& s) {
  return get_or<pid_t>(s, "MonitorPid", 0);
}
int exit_code_of(const nlohmann::json& s) {
  return get_or<int>(s, "ExitCode", 0);
}
int restart_count_of(const nlohmann::json& s) {
  return get_or<int>(s, "RestartCount", 0);
}

}  // namespace berth::engine
