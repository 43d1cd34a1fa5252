#include "engine/copy_paths.hpp"

#include <vector>

#include "base/strings.hpp"

namespace berth::engine::copy_paths {

namespace {

bool trailing_slash(const std::string& path) {
  return !path.empty() && path.back() == '/';
}

bool current_dir(const std::string& path) {
  return base(path) == ".";
}

}  // namespace

std::string clean(const std::string& path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<std::string> out;
  for (auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty() && out.back() != "..") {
        out.pop_back();
      } else if (!rooted) {
        out.push_back(part);
      }
      continue;
    }
    out.push_back(std::move(part));
  }
  std::string joined;
  for (const auto& part : out) joined += (joined.empty() ? "" : "/") + part;
  if (rooted) return "/" + joined;
  return joined.empty() ? "." : joined;
}

std::string clean_keep_trailing(const std::string& path) {
  std::string cleaned = clean(path);
  if (!current_dir(cleaned) && current_dir(path)) {
    if (!trailing_slash(cleaned)) cleaned += "/";
    cleaned += ".";
  }
  if (!trailing_slash(cleaned) && trailing_slash(path)) cleaned += "/";
  return cleaned;
}

std::string container_abs(const std::string& path) {
  std::string abs = path.starts_with('/') ? path : "/" + path;
  return clean_keep_trailing(abs);
}

bool asserts_directory(const std::string& path) {
  return trailing_slash(path) || current_dir(path);
}

std::string base(const std::string& path) {
  if (path.empty()) return ".";
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/") return "/";
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string dir(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return clean(path.substr(0, slash + 1));
}

DirEntry split_dir_entry(const std::string& path) {
  std::string cleaned = clean(path);
  if (current_dir(path)) cleaned += "/.";
  return {dir(cleaned), base(cleaned)};
}

Result<CopyPlan> plan_copy(const CopyInfo& src, const CopyInfo& dst) {
  std::string src_base = split_dir_entry(src.path).base;
  // The root's content comes under "." (archive_path names it so).
  if (src_base == "/") src_base = ".";
  const std::string src_name = src.rebase_name.empty() ? src_base : src.rebase_name;
  auto [dst_dir, dst_base] = split_dir_entry(dst.path);
  if (dst.exists && dst.is_dir) return CopyPlan{dst.path, "", ""};
  if (dst.exists && src.is_dir) return fail_msg("cannot copy directory");
  if (!dst.exists && !src.is_dir && asserts_directory(dst.path))
    return fail_msg("no such directory");
  return CopyPlan{dst_dir, src_name, dst_base};
}

}  // namespace berth::engine::copy_paths
