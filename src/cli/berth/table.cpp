#include "cli/berth/table.hpp"

#include <algorithm>
#include <cstdio>

#include "base/strings.hpp"

namespace berth::cli {

std::string tabulate(const std::vector<std::string>& lines) {
  constexpr size_t kMinWidth = 10;
  constexpr size_t kPadding = 3;
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> widths;
  for (const auto& line : lines) {
    rows.push_back(split(line, '\t'));
    const auto& cells = rows.back();
    for (size_t i = 0; i + 1 < cells.size(); ++i) {
      if (widths.size() <= i) widths.resize(i + 1, 0);
      widths[i] = std::max(widths[i], std::max(cells[i].size() + kPadding, kMinWidth));
    }
  }
  std::string out;
  for (const auto& cells : rows) {
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out.append(widths[i] - cells[i].size(), ' ');
    }
    out += '\n';
  }
  return out;
}

void print_lines(bool table, const std::vector<std::string>& lines) {
  if (table) {
    std::fputs(tabulate(lines).c_str(), stdout);
    return;
  }
  for (const auto& l : lines) std::printf("%s\n", l.c_str());
}

}  // namespace berth::cli
