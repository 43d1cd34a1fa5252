#include "runtime/cgroups/systemd_path.hpp"

#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string_view>

#include "base/fs.hpp"

namespace berth::runtime::cgroups {

namespace {

constexpr std::string_view kSliceSuffix = ".slice";
constexpr size_t kUnitNameMax = 255;  // systemd's UNIT_NAME_MAX, without the NUL

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The characters systemd accepts in a unit name (":" cannot occur: it separates the parts).
bool valid_unit_chars(const std::string& s) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '\\' || c == '@';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    size_t end = s.find(sep, pos);
    if (end == std::string::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
}

size_t depth(const std::string& slice) {
  size_t n = 0;
  for (char c : slice) n += c == '/';
  return slice == "/" ? 0 : n;
}

class SliceCleanupCgroup : public Cgroup {
 public:
  SliceCleanupCgroup(std::unique_ptr<Cgroup> inner, size_t slice_depth,
                     std::vector<std::string> created)
      : inner_(std::move(inner)), slice_depth_(slice_depth), created_(std::move(created)) {}

  Mode mode() const override { return inner_->mode(); }

  Status create() override {
    // The slice directories of every hierarchy, innermost first, that do not exist yet.
    std::vector<std::string> missing;
    auto paths = inner_->paths();
    for (const auto& [key, value] : paths.items()) {
      if (key == "mode" || !value.is_string()) continue;
      std::string dir = value.get<std::string>();
      for (size_t i = 0; i < slice_depth_; ++i) {
        dir = fs::dirname(dir);
        if (!fs::exists(dir)) missing.push_back(dir);
      }
    }
    auto status = inner_->create();
    // Whatever was made is ours to remove, even when create() failed half-way.
    for (const auto& dir : missing)
      if (fs::exists(dir)) created_.push_back(dir);
    return status;
  }

  Status add_process(pid_t pid) override { return inner_->add_process(pid); }
  Status apply(const Resources& resources) override { return inner_->apply(resources); }
  Status freeze() override { return inner_->freeze(); }
  Status thaw() override { return inner_->thaw(); }
  Result<bool> frozen() override { return inner_->frozen(); }
  Result<std::vector<pid_t>> pids() override { return inner_->pids(); }
  Result<int> open_v2_dir_fd() override { return inner_->open_v2_dir_fd(); }

  Status destroy() override {
    auto status = inner_->destroy();
    if (!status) return status;  // the container's own cgroup is still there: so are the slices
    std::optional<Error> first;
    for (const auto& dir : created_) {
      if (::rmdir(dir.c_str()) == 0) continue;
      // Still holding another container's cgroup (EBUSY), or already gone: not an error.
      if (errno == ENOENT || errno == EBUSY || errno == ENOTEMPTY) continue;
      if (!first) first = sys_error("rmdir slice " + quote(dir));
    }
    if (first) return fail(*first);
    return {};
  }

  nlohmann::json paths() const override {
    auto j = inner_->paths();
    if (!created_.empty()) j[kSystemdSlicesKey] = created_;
    return j;
  }

 private:
  std::unique_ptr<Cgroup> inner_;
  size_t slice_depth_;
  std::vector<std::string> created_;
};

}  // namespace

Result<std::string> expand_slice(const std::string& slice) {
  auto bad = [&](const std::string& why) -> Result<std::string> {
    return fail_msg("slice " + quote(slice) + ": " + why);
  };
  if (!ends_with(slice, kSliceSuffix) || slice.size() == kSliceSuffix.size())
    return bad("not a slice name (NAME.slice)");
  if (slice.find('/') != std::string::npos) return bad("a slice name cannot hold \"/\"");
  if (!valid_unit_chars(slice)) return bad("holds a character systemd does not allow in a unit");
  if (slice.size() > kUnitNameMax) return bad("longer than systemd allows for a unit name");
  std::string name = slice.substr(0, slice.size() - kSliceSuffix.size());
  if (name == "-") return std::string("/");
  std::string path;
  std::string prefix;
  for (const auto& component : split(name, '-')) {
    if (component.empty()) return bad("leading, trailing or double \"-\"");
    path += "/" + prefix + component + std::string(kSliceSuffix);
    prefix += component + "-";
  }
  return path;
}

bool is_systemd_form(const std::string& cgroups_path) {
  if (cgroups_path.empty() || cgroups_path.front() == '/') return false;
  return split(cgroups_path, ':').size() == 3;
}

std::string SystemdPath::path() const {
  return slice == "/" ? "/" + unit : slice + "/" + unit;
}

Result<SystemdPath> systemd_path(const std::string& cgroups_path, const std::string& container_id,
                                 bool rootless) {
  std::string parent;
  std::string prefix = "berth";
  std::string name = container_id;
  if (!cgroups_path.empty()) {
    auto parts = split(cgroups_path, ':');
    if (parts.size() != 3)
      return fail_msg("cgroupsPath " + quote(cgroups_path) +
                      ": --systemd-cgroup needs the form slice:prefix:name");
    parent = parts[0];
    prefix = parts[1];
    name = parts[2];
  }
  auto where = [&] {
    return cgroups_path.empty() ? "cgroup for container " + quote(container_id)
                                : "cgroupsPath " + quote(cgroups_path);
  };
  if (parent.empty()) parent = rootless ? "user.slice" : "system.slice";
  SystemdPath out;
  auto slice = expand_slice(parent);
  if (!slice) return fail(slice.error().wrap(where()));
  out.slice = *slice;
  if (name.empty()) return fail_msg(where() + ": empty name");
  if (ends_with(name, kSliceSuffix)) {
    // A slice of its own, nested under the parent (runc makes it a child of the parent slice).
    auto check = expand_slice(name);
    if (!check) return fail(check.error().wrap(where()));
    out.unit = name;
    return out;
  }
  if (!valid_unit_chars(prefix) || !valid_unit_chars(name))
    return fail_msg(where() + ": the prefix and name may hold only letters, digits and \"-_.\\@\"");
  out.unit = prefix.empty() ? name + ".scope" : prefix + "-" + name + ".scope";
  if (out.unit.size() > kUnitNameMax)
    return fail_msg(where() + ": unit name " + quote(out.unit) + " is longer than systemd allows");
  return out;
}

std::unique_ptr<Cgroup> with_slice_cleanup(std::unique_ptr<Cgroup> inner,
                                           const std::string& slice) {
  return std::make_unique<SliceCleanupCgroup>(std::move(inner), depth(slice),
                                              std::vector<std::string>{});
}

std::unique_ptr<Cgroup> reopen_with_slice_cleanup(std::unique_ptr<Cgroup> inner,
                                                  std::vector<std::string> created) {
  return std::make_unique<SliceCleanupCgroup>(std::move(inner), 0, std::move(created));
}

}  // namespace berth::runtime::cgroups
