#pragma once

#include <string>
#include <vector>

namespace berth::cli {

// Aligns tab-separated cells in columns as Docker's tables do (Go's tabwriter with minimum width
// 10 and padding 3): every cell that a tab ends is padded; the last cell of a line is not.
std::string tabulate(const std::vector<std::string>& lines);

// Prints lines to stdout: aligned as a table (a `table ...` --format, or the default), else one
// per line as they are.
void print_lines(bool table, const std::vector<std::string>& lines);

}  // namespace berth::cli
