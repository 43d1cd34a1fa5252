#pragma once

#include <string>

#include "base/error.hpp"

namespace berth::runtime {

// tmpcopyup: copies what src_dir holds (directories, files, symlinks, fifos, sockets, with owner
// and mode; never device nodes) into dst_dir. where names src_dir in errors.
Status copy_tree(int src_dir, int dst_dir, const std::string& where);

}  // namespace berth::runtime
