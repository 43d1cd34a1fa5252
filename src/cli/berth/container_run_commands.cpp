#include <unistd.h>

#include <cstdio>

#include "cli/berth/commands.hpp"
#include "cli/berth/container_attach.hpp"
#include "cli/berth/container_flags.hpp"
#include "cli/berth/progress_printer.hpp"
#include "engine/container_state.hpp"

namespace berth::cli {
namespace {

// Docker's statuses: 125 when berth itself fails, 126/127 when the command cannot be run.
constexpr int kOwnError = 125;

int report(const Error& e, int status) {
  std::fprintf(stderr, "Error: %s\n", e.what().c_str());
  return status;
}

// The image, pulled first when the store does not have it, as docker run does.
Status ensure_image(Context& ctx, const std::string& name) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  if (images->resolve(name)) return {};
  std::fprintf(stderr, "Unable to find image '%s' locally\n", name.c_str());
  ProgressPrinter printer(stderr);
  auto pulled = images->pull(name, image::Platform{}, &printer);
  if (!pulled) return fail(pulled.error());
  std::fprintf(stderr, "Status: Downloaded newer image for %s\n",
               pulled->reference.familiar().c_str());
  return {};
}

// A container that could not start is removed with --rm, as Docker's; the status says why.
int start_failed(engine::ContainerService& service, const engine::ContainerRecord& r,
                 const Error& e) {
  if (r.host_config.value("AutoRemove", false)) (void)service.remove(r.id, true, true);
  return report(e, engine::start_failure_exit_code(e.what()));
}

Result<engine::ContainerRecord> create_from_flags(Context& ctx, CLI::App& cmd,
                                                  const ContainerFlags& flags,
                                                  const std::string& verb) {
  auto parts = BERTH_TRY(image_and_command(cmd.remaining(), verb));
  auto request = BERTH_TRY(to_create_request(flags, parts.image, parts.command));
  request.name = flags.name;
  BERTH_CHECK(ensure_image(ctx, parts.image));
  engine::ContainerService* containers = BERTH_TRY(ctx.containers());
  return containers->create(std::move(request));
}

Result<int> start_attached(engine::ContainerService& service, const engine::ContainerRecord& r,
                           bool with_stdin) {
  AttachOptions attach;
  attach.stdin_ = with_stdin;
  attach.tty = r.config.value("Tty", false);
  attach.cleanup = true;
  std::optional<engine::AttachSession> session;
  engine::StartOptions start;
  start.attach_wait = true;
  start.on_created = [&]() -> Status {
    session.emplace(BERTH_TRY(connect_to_container(service, r, attach)));
    return {};
  };
  auto started = service.start(r.id, start);
  if (!started) return start_failed(service, r, started.error());
  if (!session) {  // it was running already
    auto code = attach_to_container(service, started->record, started->pid, attach);
    return code ? *code : report(code.error(), kOwnError);
  }
  auto code = pump_container(service, started->record, started->pid, *session, attach);
  if (!code) return report(code.error(), kOwnError);
  return *code;
}

Result<int> run(Context& ctx, CLI::App& cmd, const ContainerFlags& flags) {
  ctx.expect_cgroup_move();
  auto record = create_from_flags(ctx, cmd, flags, "berth run");
  if (!record) return report(record.error(), kOwnError);
  engine::ContainerService* service = BERTH_TRY(ctx.containers());
  if (flags.detach) {
    auto started = service->start(record->id, {});
    if (!started) return start_failed(*service, *record, started.error());
    std::printf("%s\n", record->id.c_str());
    return 0;
  }
  return start_attached(*service, *record, flags.interactive);
}

Result<int> create(Context& ctx, CLI::App& cmd, const ContainerFlags& flags) {
  auto record = create_from_flags(ctx, cmd, flags, "berth create");
  if (!record) return report(record.error(), kOwnError);
  std::printf("%s\n", record->id.c_str());
  return 0;
}

struct StartFlags {
  std::vector<std::string> containers;
  bool attach = false;
  bool interactive = false;
};

Result<int> start(Context& ctx, const StartFlags& f) {
  ctx.expect_cgroup_move();
  engine::ContainerService* service = BERTH_TRY(ctx.containers());
  if (f.attach || f.interactive) {
    if (f.containers.size() != 1)
      return fail_msg("you cannot start and attach multiple containers at once");
    auto r = BERTH_TRY(service->get(f.containers[0]));
    if (engine::is_active(r.state)) {
      AttachOptions attach;
      attach.stdin_ = f.interactive;
      attach.tty = r.config.value("Tty", false);
      auto code = attach_to_container(*service, r, engine::pid_of(r.state), attach);
      return code ? *code : report(code.error(), kOwnError);
    }
    return start_attached(*service, r, f.interactive);
  }
  int status = 0;
  for (const auto& name : f.containers) {
    auto started = service->start(name, {});
    if (!started) {
      std::fprintf(stderr, "Error: %s\n", started.error().what().c_str());
      status = 1;
      continue;
    }
    std::printf("%s\n", name.c_str());
  }
  return status;
}

struct AttachFlags {
  std::string container;
  bool no_stdin = false;
  bool sig_proxy = true;
};

Result<int> attach(Context& ctx, const AttachFlags& f) {
  engine::ContainerService* service = BERTH_TRY(ctx.containers());
  auto r = BERTH_TRY(service->get(f.container));
  if (!engine::is_running(r.state))
    return fail_msg("You cannot attach to a stopped container, start it first");
  AttachOptions attach;
  attach.stdin_ = !f.no_stdin && r.config.value("OpenStdin", false);
  attach.tty = r.config.value("Tty", false);
  attach.proxy_signals = f.sig_proxy;
  return attach_to_container(*service, r, engine::pid_of(r.state), attach);
}

}  // namespace

void add_container_run_commands(CLI::App& top, CLI::App& container, Action& action) {
  for (CLI::App* parent : {&top, &container}) {
    for (bool is_run : {true, false}) {
      auto flags = std::make_shared<ContainerFlags>();
      CLI::App* cmd =
          parent->add_subcommand(is_run ? "run" : "create",
                                 is_run ? "create and start a container" : "create a container");
      add_container_flags(*cmd, *flags, is_run);
      cmd->callback([flags, cmd, is_run, &action] {
        action = [flags, cmd, is_run](Context& c) {
          return is_run ? run(c, *cmd, *flags) : create(c, *cmd, *flags);
        };
      });
    }
    auto sf = std::make_shared<StartFlags>();
    CLI::App* s = parent->add_subcommand("start", "start stopped containers");
    s->add_option("CONTAINER", sf->containers, "containers")->required();
    s->add_flag("-a,--attach", sf->attach, "attach stdout and stderr, forward signals");
    s->add_flag("-i,--interactive", sf->interactive, "attach the container's stdin");
    s->callback([sf, &action] { action = [sf](Context& c) { return start(c, *sf); }; });

    auto af = std::make_shared<AttachFlags>();
    CLI::App* a = parent->add_subcommand("attach", "attach to a running container's stdio");
    a->add_option("CONTAINER", af->container, "container")->required();
    a->add_flag("--no-stdin", af->no_stdin, "do not attach stdin");
    a->add_option("--sig-proxy", af->sig_proxy, "proxy received signals to the process");
    a->callback([af, &action] { action = [af](Context& c) { return attach(c, *af); }; });
  }
}

}  // namespace berth::cli
