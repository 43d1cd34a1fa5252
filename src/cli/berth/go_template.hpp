#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace berth::cli {

struct TemplateNode;

// The part of Go's text/template that `docker ... --format` users write, evaluated on JSON:
// fields (.A.B), string and number literals, pipelines, the functions json, join, index, len,
// lower, upper, title, split, printf (%s %d %v %q), println, and range/if/with/else/end.
// Values print as Go prints them: arrays "[a b]", objects "map[k:v]", null "<no value>".
class GoTemplate {
 public:
  static Result<GoTemplate> parse(std::string_view text);
  Result<std::string> render(const nlohmann::json& dot) const;

  GoTemplate(GoTemplate&&) noexcept;
  GoTemplate& operator=(GoTemplate&&) noexcept;
  ~GoTemplate();

 private:
  GoTemplate() = default;
  std::vector<std::unique_ptr<TemplateNode>> nodes_;
};

// "table {{.A}}\t{{.B}}": the template after "table ", and whether it was there.
struct TableFormat {
  bool table = false;
  std::string row;
};
TableFormat split_table_format(std::string_view format);
// Docker's escapes in --format strings: "\t" and "\n" written as two characters.
std::string unescape_format(std::string_view format);

}  // namespace berth::cli
