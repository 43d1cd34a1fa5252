#pragma once

#include <sys/types.h>

#include <string>

#include <nlohmann/json.hpp>

#include "monitor/exit_record.hpp"

// A container's State as the Engine API shows it ({"Status": "running", "Running": true, "Pid":
// 42, ...}), kept in the container store with berth's own keys beside it (MonitorPid,
// MonitorStartTime, RestartCount), which inspect moves or drops.
namespace berth::engine {

inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

nlohmann::json created_state();
// The container runs under the monitor with this pid.
void mark_running(nlohmann::json& state, pid_t pid, const std::string& started_at,
                  pid_t monitor_pid, unsigned long long monitor_start_time, int restart_count);
void mark_exited(nlohmann::json& state, const monitor::ExitRecord& exit);
void mark_restarting(nlohmann::json& state, const monitor::ExitRecord& exit);
void mark_paused(nlohmann::json& state, bool paused);

std::string status_of(const nlohmann::json& state);  // created, running, paused, exited, ...
// Running, paused or restarting: a monitor should be there.
bool is_active(const nlohmann::json& state);
bool is_running(const nlohmann::json& state);  // running or paused: a process is there
pid_t pid_of(const nlohmann::json& state);
pid_t monitor_pid_of(const nlohmann::json& state);  // 0 when none is recorded
int exit_code_of(const nlohmann::json& state);
int restart_count_of(const nlohmann::json& state);

}  // namespace berth::engine
