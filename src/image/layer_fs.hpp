#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/error.hpp"

// Operations on one entry of a layer being written, named by a directory fd and one path
// component, so that nothing is resolved through a string joined under the target.
namespace berth::image::layer_fs {

// Removes name from dir_fd, a whole tree when it is a directory, never following symlinks.
// A missing name is not an error.
Status remove(int dir_fd, const std::string& name);

// Runs create (a *at call on name in dir_fd, returning -1 with errno, >= 0 on success); when name
// exists, removes it and runs create again, as a layer replaces what a lower one had. replaced,
// when given, tells whether something was removed.
Status create_replacing(int dir_fd, const std::string& name, const std::string& what,
                        const std::function<int()>& create, bool* replaced = nullptr);

// xattrs of name in dir_fd without following it (name "" is the directory itself).
Status set_xattr(int dir_fd, const std::string& name, const std::string& key,
                 const std::string& value);
Result<std::optional<std::string>> get_xattr(int dir_fd, const std::string& name,
                                             const std::string& key);

}  // namespace berth::image::layer_fs
