#include "engine/subordinate_ids.hpp"

#include <charconv>

#include "base/fs.hpp"
#include "base/strings.hpp"

namespace berth::engine {
namespace {

bool parse_u32(const std::string& text, uint32_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

Result<std::vector<SubordinateRange>> subordinate_ranges(const std::string& file,
                                                         const std::string& user, uid_t id) {
  std::vector<SubordinateRange> out;
  if (!fs::exists(file)) return out;
  std::string text = BERTH_TRY(fs::read_file(file));
  size_t line_no = 0;
  for (const auto& line : split(text, '\n')) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto fields = split(line, ':');
    if (fields.size() != 3) continue;
    if (fields[0] != user && fields[0] != std::to_string(id)) continue;
    SubordinateRange r;
    if (!parse_u32(fields[1], r.start) || !parse_u32(fields[2], r.count))
      return fail_msg(file + " line " + std::to_string(line_no) + ": bad range " + quote(line));
    if (r.count > 0) out.push_back(r);
  }
  return out;
}

std::vector<runtime::IdMapping> rootless_id_map(uint32_t own_id,
                                                const std::vector<SubordinateRange>& ranges) {
  std::vector<runtime::IdMapping> map = {{0, own_id, 1}};
  uint32_t next = 1;
  for (const auto& r : ranges) {
    map.push_back({next, r.start, r.count});
    next += r.count;
  }
  return map;
}

}  // namespace berth::engine
