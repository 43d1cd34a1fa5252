#include "runtime/mount_options.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>

namespace berth::runtime {
namespace {

MountOptions parse(const std::vector<std::string>& options, bool bind = false) {
  auto o = parse_mount_options(options, bind);
  EXPECT_TRUE(o.has_value()) << (o ? "" : o.error().what());
  return o ? *o : MountOptions{};
}

TEST(MountOptions, DefaultSpecDev) {
  auto o = parse({"nosuid", "strictatime", "mode=755", "size=65536k"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(o.data, "mode=755,size=65536k");
  EXPECT_FALSE(o.bind);
  EXPECT_TRUE(o.propagation.empty());
}

TEST(MountOptions, Devpts) {
  auto o = parse({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
  EXPECT_EQ(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
}

TEST(MountOptions, BindAndRbind) {
  auto b = parse({"bind", "ro"}, true);
  EXPECT_TRUE(b.bind);
  EXPECT_FALSE(b.recursive);
  EXPECT_EQ(b.attr_set(), uint64_t{MOUNT_ATTR_RDONLY});
  EXPECT_EQ(b.attr_clr(), 0u);

  auto r = parse({"rbind", "rprivate", "nosuid", "nodev", "noexec"}, true);
  EXPECT_TRUE(r.bind);
  EXPECT_TRUE(r.recursive);
  EXPECT_EQ(r.attr_set(), uint64_t{MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC});
  ASSERT_EQ(r.propagation.size(), 1u);
  EXPECT_EQ(r.propagation[0], static_cast<unsigned long>(MS_PRIVATE | MS_REC));
}

TEST(MountOptions, TypeBindWithoutOptionIsBind) {
  Mount m{"/x", "bind", "/src", {"ro"}, {}, {}};
  EXPECT_TRUE(is_bind_mount(m));
  auto o = parse(m.options, is_bind_mount(m));
  EXPECT_TRUE(o.bind);
  Mount t{"/t", "tmpfs", "tmpfs", {"nosuid"}, {}, {}};
  EXPECT_FALSE(is_bind_mount(t));
  Mount n{"/n", "none", "/src", {"rbind"}, {}, {}};
  EXPECT_TRUE(is_bind_mount(n));
}

TEST(MountOptions, ClearingOptions) {
  auto o = parse({"ro", "rw", "nosuid", "suid", "dev", "exec"}, true);
  EXPECT_EQ(o.flags & (MS_RDONLY | MS_NOSUID), 0u);
  EXPECT_EQ(o.attr_set(), 0u);
  EXPECT_EQ(o.attr_clr(),
            uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC});
}

TEST(MountOptions, AtimeLastWins) {
  auto o = parse({"noatime", "strictatime"}, true);
  EXPECT_EQ(o.flags & MS_NOATIME, 0u);
  EXPECT_EQ(o.attr_set() & MOUNT_ATTR__ATIME, uint64_t{MOUNT_ATTR_STRICTATIME});
  EXPECT_EQ(o.attr_clr() & MOUNT_ATTR__ATIME, uint64_t{MOUNT_ATTR__ATIME});
  auto plain = parse({"ro"}, true);
  EXPECT_EQ(plain.attr_clr() & MOUNT_ATTR__ATIME, 0u);
}

TEST(MountOptions, RecursiveAttributes) {
  auto o = parse({"rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnoatime"}, true);
  EXPECT_EQ(o.rec_attr_set, uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                     MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOATIME});
  EXPECT_EQ(o.rec_attr_clr, uint64_t{MOUNT_ATTR__ATIME});
  auto c = parse({"rbind", "rrw", "rsuid"}, true);
  EXPECT_EQ(c.rec_attr_set, 0u);
  EXPECT_EQ(c.rec_attr_clr, uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID});
  // The non-recursive flags stay separate.
  EXPECT_EQ(o.flags & MS_RDONLY, 0u);
}

TEST(MountOptions, Propagations) {
  auto o = parse({"bind", "shared", "rslave", "unbindable", "runbindable", "private"}, true);
  std::vector<unsigned long> want = {MS_SHARED, MS_SLAVE | MS_REC, MS_UNBINDABLE,
                                     MS_UNBINDABLE | MS_REC, MS_PRIVATE};
  EXPECT_EQ(o.propagation, want);
  EXPECT_EQ(*parse_propagation("rshared"), static_cast<unsigned long>(MS_SHARED | MS_REC));
  EXPECT_FALSE(parse_propagation("ro").has_value());
  EXPECT_FALSE(parse_propagation("bogus").has_value());
}

TEST(MountOptions, Extensions) {
  auto o = parse({"tmpcopyup", "mode=1777"});
  EXPECT_TRUE(o.tmpcopyup);
  EXPECT_EQ(o.data, "mode=1777");
  EXPECT_FALSE(parse({"tmpcopyup", "notmpcopyup"}).tmpcopyup);
  auto i = parse({"rbind", "ridmap"}, true);
  EXPECT_TRUE(i.idmap);
  EXPECT_TRUE(i.recursive_idmap);
  auto j = parse({"bind", "idmap=uids=0-1000-10#10-2000-5;gids=0-1000-10"}, true);
  EXPECT_TRUE(j.idmap);
  EXPECT_FALSE(j.recursive_idmap);
  ASSERT_EQ(j.idmap_uids.size(), 2u);
  EXPECT_EQ(j.idmap_uids[1].container_id, 10u);
  EXPECT_EQ(j.idmap_uids[1].host_id, 2000u);
  EXPECT_EQ(j.idmap_uids[1].size, 5u);
  ASSERT_EQ(j.idmap_gids.size(), 1u);
  EXPECT_FALSE(parse_mount_options({"bind", "idmap=uids=0-1"}, true).has_value());
  EXPECT_FALSE(parse_mount_options({"bind", "idmap=foo=1"}, true).has_value());
  // Userspace options are ignored.
  EXPECT_EQ(parse({"bind", "x-systemd.automount"}, true).flags,
            static_cast<unsigned long>(MS_BIND));
}

TEST(MountOptions, UnknownOptionOnBindIsAnError) {
  auto o = parse_mount_options({"rbind", "foo"}, true);
  ASSERT_FALSE(o.has_value());
  EXPECT_EQ(o.error().what(), "unknown option \"foo\"");
  // Other filesystems take it as data: the kernel judges it.
  auto t = parse({"foo"});
  EXPECT_EQ(t.data, "foo");
}

}  // namespace
}  // namespace berth::runtime
