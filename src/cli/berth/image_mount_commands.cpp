#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "base/fs.hpp"
#include "cli/berth/commands.hpp"
#include "image/snapshotter.hpp"

namespace berth::cli {
namespace {

// Like `podman image mount`: the image's root filesystem, writable through a snapshot of its own
// that unmount throws away, at <exec-root>/image-mounts/<id>.
struct ImageMount {
  std::string key;
  std::string target;
};

Result<ImageMount> locate(Context& ctx, engine::ImageService& images, const std::string& name) {
  image::ImageRecord record = BERTH_TRY(images.resolve(name));
  return ImageMount{"image-mount-" + record.id.hex,
                    ctx.paths().exec_root + "/image-mounts/" + record.id.hex};
}

Result<image::Snapshotter> snapshotter(Context& ctx, engine::ImageService& images) {
  image::SnapshotterKind kind =
      BERTH_TRY(image::detect_snapshotter(ctx.paths().data_root, ctx.rootless()));
  return image::Snapshotter(ctx.paths().data_root, kind, images.store().layers());
}

bool is_mount_point(const std::string& path) {
  struct stat self = {}, parent = {};
  if (::stat(path.c_str(), &self) != 0 || ::stat(fs::dirname(path).c_str(), &parent) != 0)
    return false;
  return self.st_dev != parent.st_dev;
}

Result<int> run_mount(Context& ctx, const std::string& name) {
  if (ctx.rootless())
    return fail_msg("image mount " + name +
                    ": not supported rootless yet (a mount made in berth's user namespace would "
                    "end with the command)");
  engine::ImageService* images = BERTH_TRY(ctx.images());
  ImageMount m = BERTH_TRY(locate(ctx, *images, name));
  if (!is_mount_point(m.target)) {
    image::Snapshotter snaps = BERTH_TRY(snapshotter(ctx, *images));
    image::ImageRecord record = BERTH_TRY(images->resolve(name));
    auto chains = BERTH_TRY(images->store().chain_ids(record.id));
    BERTH_CHECK(fs::mkdir_p(m.target, 0700));
    BERTH_CHECK(snaps.prepare(m.key, chains));
    auto mounted = snaps.mount(m.key, m.target);
    if (!mounted) {
      (void)snaps.remove(m.key);
      return fail(mounted.error().wrap("mount image " + name));
    }
  }
  std::printf("%s\n", m.target.c_str());
  return 0;
}

Result<int> run_unmount(Context& ctx, const std::string& name) {
  engine::ImageService* images = BERTH_TRY(ctx.images());
  ImageMount m = BERTH_TRY(locate(ctx, *images, name));
  image::Snapshotter snaps = BERTH_TRY(snapshotter(ctx, *images));
  if (is_mount_point(m.target)) BERTH_CHECK(snaps.unmount(m.target));
  BERTH_CHECK(snaps.remove(m.key));
  if (fs::exists(m.target) && ::rmdir(m.target.c_str()) != 0)
    return fail_sys("remove mount point " + quote(m.target));
  std::printf("%s\n", name.c_str());
  return 0;
}

}  // namespace

void add_image_mount_commands(CLI::App& image, Action& action) {
  auto name = std::make_shared<std::string>();
  CLI::App* mount = image.add_subcommand("mount", "mount an image's root filesystem");
  mount->add_option("IMAGE", *name, "image name or id")->required();
  mount->callback([name, &action] { action = [name](Context& c) { return run_mount(c, *name); }; });
  auto uname = std::make_shared<std::string>();
  CLI::App* unmount = image.add_subcommand("unmount", "unmount an image mounted by image mount");
  unmount->alias("umount");
  unmount->add_option("IMAGE", *uname, "image name or id")->required();
  unmount->callback(
      [uname, &action] { action = [uname](Context& c) { return run_unmount(c, *uname); }; });
}

}  // namespace berth::cli
