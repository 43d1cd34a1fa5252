#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "base/fs.hpp"
#include "engine/container_names.hpp"
#include "engine/container_store.hpp"

using berth::engine::ContainerRecord;
using berth::engine::ContainerStore;

namespace {

struct TempRoot {
  std::string path;
  TempRoot() {
    char tmpl[] = "/tmp/berth-containers-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempRoot() { (void)berth::fs::remove_all(path); }
};

ContainerRecord record(const std::string& name) {
  ContainerRecord r;
  r.id = berth::engine::new_container_id();
  r.name = name;
  r.image = "busybox";
  r.image_id = "sha256:" + std::string(64, 'a');
  r.created = "2026-11-26T10:00:00.000000000Z";
  r.config = {{"Cmd", {"sh"}}};
  r.state = {{"Status", "created"}};
  return r;
}

}  // namespace

TEST(ContainerNames, IdsAndNamesFollowDockersRules) {
  std::string id = berth::engine::new_container_id();
  EXPECT_EQ(id.size(), 64u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(berth::engine::new_container_id(), id);
  std::string name = berth::engine::random_container_name();
  EXPECT_NE(name.find('_'), std::string::npos);
  EXPECT_TRUE(berth::engine::check_container_name(name));
  EXPECT_EQ(berth::engine::check_container_name("/web").value_or(""), "web");
  EXPECT_FALSE(berth::engine::check_container_name("a"));
  EXPECT_FALSE(berth::engine::check_container_name("-web"));
  auto bad = berth::engine::check_container_name("we b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what(),
            "Invalid container name (we b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
}

TEST(ContainerStore, CreateFindListRenameRemove) {
  TempRoot root;
  auto store = ContainerStore::open(root.path);
  ASSERT_TRUE(store) << store.error().what();
  auto web = store->create(record("web"));
  ASSERT_TRUE(web) << web.error().what();
  auto unnamed = store->create(record(""));
  ASSERT_TRUE(unnamed);
  EXPECT_FALSE(unnamed->name.empty());

  EXPECT_EQ(store->get("web")->id, web->id);
  EXPECT_EQ(store->get("/web")->id, web->id);
  EXPECT_EQ(store->get(web->id)->name, "web");
  EXPECT_EQ(store->get(web->id.substr(0, 12))->name, "web");
  EXPECT_EQ(store->get(web->id)->config["Cmd"][0], "sh");
  auto missing = store->get("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().what(), "No such container: nope");

  auto dup = store->create(record("web"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().what(),
            "Conflict. The container name \"/web\" is already in use by container \"" + web->id +
                "\". You have to remove (or rename) that container to be able "
                "to reuse that name.");

  ASSERT_TRUE(store->set_state(web->id, {{"Status", "running"}, {"Pid", 42}}));
  EXPECT_EQ(store->get("web")->state["Pid"], 42);
  ASSERT_TRUE(store->rename(web->id, "site"));
  EXPECT_FALSE(*store->find("web"));
  EXPECT_FALSE(store->rename(unnamed->id, "site"));
  EXPECT_EQ(store->list()->size(), 2u);
  ASSERT_TRUE(store->remove(web->id));
  EXPECT_FALSE(store->remove(web->id));
  EXPECT_EQ(store->list()->size(), 1u);
}

TEST(ContainerStore, AmbiguousPrefixIsAnError) {
  TempRoot root;
  auto store = ContainerStore::open(root.path);
  ASSERT_TRUE(store);
  auto a = record("a1");
  auto b = record("b1");
  a.id = "abc" + a.id.substr(3);
  b.id = "abd" + b.id.substr(3);
  ASSERT_TRUE(store->create(a));
  ASSERT_TRUE(store->create(b));
  auto found = store->find("ab");
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().what(), "multiple containers match the prefix ab: give more of the id");
  EXPECT_EQ((*store->find("abc"))->name, "a1");
}

// issue 4: 20 `berth run -d` at once all succeed with unique names.
TEST(ContainerStore, TwentyProcessesCreatingAtOnceGetUniqueNames) {
  TempRoot root;
  ASSERT_TRUE(ContainerStore::open(root.path));
  std::vector<pid_t> children;
  for (int i = 0; i < 20; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = ContainerStore::open(root.path);
      bool ok = store && store->create(record(""));
      ::_exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto store = ContainerStore::open(root.path);
  ASSERT_TRUE(store);
  auto all = store->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 20u);
  std::set<std::string> names;
  for (const auto& r : *all) names.insert(r.name);
  EXPECT_EQ(names.size(), 20u);
}
