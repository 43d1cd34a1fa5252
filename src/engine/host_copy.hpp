#pragma once

#include <string>

#include "base/error.hpp"
#include "engine/container_archive.hpp"
#include "engine/copy_paths.hpp"

// The host's half of docker cp. Host paths are the user's own: they are read as given; what a
// container's tar brings is created beneath the destination directory and never outside it.
namespace berth::engine {

// `docker cp HOST_SRC CONTAINER:DST` with docker's path rules: a file onto a file or into an
// existing directory, a directory to a new directory or into an existing one under its basename,
// HOST_SRC ending in "/." copies the content, DST ending in "/" must be a directory.
Status copy_host_to_container(const std::string& host_src, bool follow_link, int root_fd,
                              const std::string& container_dst, const ExtractOptions& opts);
// `docker cp CONTAINER:SRC HOST_DST`, with the same rules the other way. Files are owned by the
// caller.
Status copy_container_to_host(int root_fd, const std::string& container_src, bool follow_link,
                              const std::string& host_dst);

// The parts, as moby's CopyInfoSourcePath, CopyInfoDestinationPath, TarResource and Untar.
// Relative host paths are taken from the current directory.
Result<copy_paths::CopyInfo> host_source_info(const std::string& path, bool follow_link);
Result<copy_paths::CopyInfo> host_destination_info(const std::string& path);
// A tar of src: its top entry named src.rebase_name or the path's basename, "./" for "DIR/.".
Status archive_host_path(const copy_paths::CopyInfo& src, int out_fd);
// The tar from tar_fd created beneath host_dir, an existing directory.
Status extract_to_host(int tar_fd, const std::string& host_dir, const ExtractOptions& opts);

}  // namespace berth::engine
