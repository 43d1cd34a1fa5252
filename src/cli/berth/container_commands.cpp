#include <cstdio>

#include "cli/berth/commands.hpp"
#include "cli/berth/confirm.hpp"
#include "cli/berth/human_units.hpp"
#include "engine/container_state.hpp"
#include "runtime/signals.hpp"

namespace berth::cli {
namespace {

// Runs op on each named container, printing the name as Docker does; one failing does not stop
// the others, and the status is 1 when any failed.
Result<int> for_each(const std::vector<std::string>& names,
                     const std::function<Status(const std::string&)>& op) {
  int status = 0;
  for (const auto& name : names) {
    if (auto r = op(name); !r) {
      std::fprintf(stderr, "Error: %s\n", r.error().what().c_str());
      status = 1;
      continue;
    }
    std::printf("%s\n", name.c_str());
  }
  return status;
}

struct NamesFlags {
  std::vector<std::string> names;
  std::optional<int> time;
  std::string signal = "KILL";
  bool force = false, volumes = false;
};

void add_names(CLI::App* cmd, NamesFlags& f) {
  cmd->add_option("CONTAINER", f.names, "containers")->required();
}

void add_stop_restart(CLI::App& parent, Action& action) {
  for (bool restart : {false, true}) {
    auto f = std::make_shared<NamesFlags>();
    CLI::App* cmd = parent.add_subcommand(restart ? "restart" : "stop",
                                          restart ? "restart containers" : "stop containers");
    add_names(cmd, *f);
    cmd->add_option("-t,--time", f->time, "seconds to wait before killing the container");
    cmd->callback([f, restart, &action] {
      action = [f, restart](Context& c) -> Result<int> {
        engine::ContainerService* s = BERTH_TRY(c.containers());
        return for_each(f->names, [&](const std::string& n) -> Status {
          BERTH_CHECK(s->stop(n, f->time));
          if (restart) BERTH_TRY(s->start(n, {}));
          return {};
        });
      };
    });
  }
}

void add_kill(CLI::App& parent, Action& action) {
  auto f = std::make_shared<NamesFlags>();
  CLI::App* cmd = parent.add_subcommand("kill", "send a signal to containers");
  add_names(cmd, *f);
  cmd->add_option("-s,--signal", f->signal, "signal to send (default KILL)");
  cmd->callback([f, &action] {
    action = [f](Context& c) -> Result<int> {
      int sig = BERTH_TRY(runtime::parse_signal(f->signal));
      engine::ContainerService* s = BERTH_TRY(c.containers());
      return for_each(f->names, [&](const std::string& n) { return s->kill(n, sig); });
    };
  });
}

void add_rm(CLI::App& parent, const std::string& name, Action& action) {
  auto f = std::make_shared<NamesFlags>();
  CLI::App* cmd = parent.add_subcommand(name, "remove containers");
  add_names(cmd, *f);
  cmd->add_flag("-f,--force", f->force, "kill and remove a running container");
  cmd->add_flag("-v,--volumes", f->volumes, "remove the container's anonymous volumes");
  cmd->callback([f, &action] {
    action = [f](Context& c) -> Result<int> {
      engine::ContainerService* s = BERTH_TRY(c.containers());
      return for_each(f->names,
                      [&](const std::string& n) { return s->remove(n, f->force, f->volumes); });
    };
  });
}

void add_pause(CLI::App& parent, Action& action) {
  for (bool pause : {true, false}) {
    auto f = std::make_shared<NamesFlags>();
    CLI::App* cmd = parent.add_subcommand(pause ? "pause" : "unpause",
                                          pause ? "freeze containers" : "thaw containers");
    add_names(cmd, *f);
    cmd->callback([f, pause, &action] {
      action = [f, pause](Context& c) -> Result<int> {
        engine::ContainerService* s = BERTH_TRY(c.containers());
        return for_each(f->names,
                        [&](const std::string& n) { return pause ? s->pause(n) : s->unpause(n); });
      };
    });
  }
}

void add_wait(CLI::App& parent, Action& action) {
  auto f = std::make_shared<NamesFlags>();
  CLI::App* cmd = parent.add_subcommand("wait", "wait for containers to stop; print exit codes");
  add_names(cmd, *f);
  cmd->callback([f, &action] {
    action = [f](Context& c) -> Result<int> {
      engine::ContainerService* s = BERTH_TRY(c.containers());
      int status = 0;
      for (const auto& n : f->names) {
        auto code = s->wait(n);
        if (!code) {
          std::fprintf(stderr, "Error: %s\n", code.error().what().c_str());
          status = 1;
          continue;
        }
        std::printf("%d\n", *code);
        std::fflush(stdout);
      }
      return status;
    };
  });
}

void add_rename(CLI::App& parent, Action& action) {
  auto names = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* cmd = parent.add_subcommand("rename", "rename a container");
  cmd->add_option("CONTAINER", names->first, "container")->required();
  cmd->add_option("NEW_NAME", names->second, "new name")->required();
  cmd->callback([names, &action] {
    action = [names](Context& c) -> Result<int> {
      engine::ContainerService* s = BERTH_TRY(c.containers());
      BERTH_CHECK(s->rename(names->first, names->second));
      return 0;
    };
  });
}

void add_prune(CLI::App& container, Action& action) {
  auto force = std::make_shared<bool>(false);
  CLI::App* cmd = container.add_subcommand("prune", "remove all stopped containers");
  cmd->add_flag("-f,--force", *force, "do not prompt for confirmation");
  cmd->callback([force, &action] {
    action = [force](Context& c) -> Result<int> {
      if (!*force && !confirm("WARNING! This will remove all stopped containers.")) return 0;
      engine::ContainerService* s = BERTH_TRY(c.containers());
      std::vector<std::string> removed;
      uint64_t reclaimed = 0;
      for (const auto& r : BERTH_TRY(s->list())) {
        if (engine::is_active(r.state)) continue;
        reclaimed += BERTH_TRY(s->rw_size(r.id));
        BERTH_CHECK(s->remove(r.id, false, false));
        removed.push_back(r.id);
      }
      if (!removed.empty()) std::printf("Deleted Containers:\n");
      for (const auto& id : removed) std::printf("%s\n", id.c_str());
      if (!removed.empty()) std::printf("\n");
      std::printf("Total reclaimed space: %s\n", human_size(reclaimed).c_str());
      return 0;
    };
  });
}

// The monitor's exit command: not for users, as podman's `container cleanup`.
void add_cleanup(CLI::App& container, Action& action) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = container.add_subcommand("cleanup", "");  // hidden: no description
  cmd->add_option("ID", *id, "container id")->required();
  cmd->callback([id, &action] {
    action = [id](Context& c) -> Result<int> {
      engine::ContainerService* s = BERTH_TRY(c.containers());
      BERTH_CHECK(s->cleanup(*id));
      return 0;
    };
  });
}

}  // namespace

void add_container_commands(CLI::App& top, CLI::App& container, Action& action) {
  for (CLI::App* parent : {&top, &container}) {
    add_stop_restart(*parent, action);
    add_kill(*parent, action);
    add_pause(*parent, action);
    add_wait(*parent, action);
    add_rename(*parent, action);
  }
  add_rm(top, "rm", action);
  add_rm(container, "rm", action);
  add_prune(container, action);
  add_cleanup(container, action);
}

}  // namespace berth::cli
