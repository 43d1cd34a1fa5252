#include "cli/berth/cp_commands.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.hpp"
#include "base/unique_fd.hpp"

namespace {

using berth::unique_fd;
namespace fs = berth::fs;
namespace cli = berth::cli;

// berth cp and berth export through their command line, with an opener that knows one container.
class CpCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-cpcli-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    top_ = tmpl;
    ASSERT_TRUE(fs::mkdir_p(top_ + "/root/etc", 0755));
    ASSERT_TRUE(fs::mkdir_p(top_ + "/host", 0755));
    ASSERT_TRUE(fs::write_file_atomic(top_ + "/root/etc/hosts", "H\n", 0644));
  }
  void TearDown() override { (void)fs::remove_all(top_); }

  berth::Result<int> run(std::vector<std::string> args) {
    CLI::App app;
    cli::Action action;
    std::string root = top_ + "/root";
    cli::add_cp_commands(
        app, nullptr, action,
        [root](cli::Context&, const std::string& name) -> berth::Result<cli::ContainerRoot> {
          if (name != "web") return berth::fail_msg("No such container: " + name);
          cli::ContainerRoot r;
          r.fd.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
          if (!r.fd) return berth::fail_sys("open root");
          // The caller stands for the container's root, so that the test runs unprivileged.
          r.uid = ::geteuid();
          r.gid = ::getegid();
          return r;
        });
    std::vector<const char*> argv{"berth"};
    for (const auto& a : args) argv.push_back(a.c_str());
    app.parse(static_cast<int>(argv.size()), argv.data());
    cli::GlobalOptions global;
    global.data_root = top_ + "/data";
    global.exec_root = top_ + "/exec";
    global.config_file = top_ + "/daemon.json";
    auto ctx = cli::Context::make(global);
    if (!ctx) return berth::fail(ctx.error());
    return action(**ctx);
  }

  std::string top_;
};

TEST_F(CpCommands, CopiesBothWays) {
  auto out = run({"cp", "web:/etc/hosts", top_ + "/host/h"});
  ASSERT_TRUE(out) << out.error().what();
  EXPECT_EQ(*fs::read_file(top_ + "/host/h"), "H\n");
  auto in = run({"cp", top_ + "/host/h", "web:/etc/copied"});
  ASSERT_TRUE(in) << in.error().what();
  EXPECT_EQ(*fs::read_file(top_ + "/root/etc/copied"), "H\n");
}

TEST_F(CpCommands, ErrorsAsDocker) {
  auto none = run({"cp", "a", "b"});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().what(), "must specify at least one container source");
  auto both = run({"cp", "web:/a", "web:/b"});
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().what(), "copying between containers is not supported");
  auto missing = run({"cp", "web:/nope", top_ + "/host/x"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().what(), "Could not find the file /nope in container web");
  auto unknown = run({"cp", "db:/etc/hosts", top_ + "/host/x"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().what(), "No such container: db");
}

TEST_F(CpCommands, ExportWritesTheOutputFile) {
  auto status = run({"export", "-o", top_ + "/host/web.tar", "web"});
  ASSERT_TRUE(status) << status.error().what();
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  ASSERT_EQ(archive_read_open_filename(a, (top_ + "/host/web.tar").c_str(), 65536), ARCHIVE_OK);
  std::vector<std::string> names;
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) names.push_back(archive_entry_pathname(e));
  archive_read_free(a);
  EXPECT_EQ(names, (std::vector<std::string>{"etc/", "etc/hosts"}));
  EXPECT_FALSE(fs::exists(top_ + "/host/web.tar.berth-tmp-" + std::to_string(::getpid())));
}

}  // namespace
