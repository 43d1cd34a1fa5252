#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

// Mounting overlayfs with any number of lower layers.
namespace berth::image::overlay_mount {

struct Spec {
  std::vector<std::string> lowers;  // top-most first, as overlayfs lists them
  std::string upper, work;
  bool userxattr = false;  // user.overlay.* xattrs: what a user namespace may set
};

// "index=off", "lowerdir=A:B", "upperdir=...", "workdir=...", and "userxattr" when asked.
std::vector<std::string> options(const Spec& spec);

// mount(2) with the options in one string when they fit the page the kernel reads; else fsopen
// with one "lowerdir+" per layer (Linux 6.8+); else through short symlinks to the layers made in
// links_dir.
Status mount(const Spec& spec, const std::string& target, const std::string& links_dir);

// The three ways, on their own.
Status mount_with_data(const Spec& spec, const std::string& target);
Status mount_with_fsconfig(const Spec& spec, const std::string& target);
Status mount_with_links(const Spec& spec, const std::string& target, const std::string& links_dir);

}  // namespace berth::image::overlay_mount
