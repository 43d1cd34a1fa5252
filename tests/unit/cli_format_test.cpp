#include <gtest/gtest.h>

#include "cli/berth/go_template.hpp"
#include "cli/berth/human_units.hpp"
#include "cli/berth/table.hpp"

using berth::cli::GoTemplate;
using nlohmann::json;

namespace {

std::string render(const std::string& text, const json& dot) {
  auto t = GoTemplate::parse(text);
  if (!t) return "parse error: " + t.error().what();
  auto out = t->render(dot);
  return out ? *out : "render error: " + out.error().what();
}

}  // namespace

TEST(GoTemplate, FieldsAndNestedFields) {
  json dot = {{"Id", "sha256:abc"}, {"Config", {{"Cmd", {"sh", "-c"}}, {"User", ""}}}};
  EXPECT_EQ(render("{{.Id}}", dot), "sha256:abc");
  EXPECT_EQ(render("id={{ .Id }}!", dot), "id=sha256:abc!");
  EXPECT_EQ(render("{{.Config.Cmd}}", dot), "[sh -c]");
  EXPECT_EQ(render("{{.Missing}}", dot), "<no value>");
  EXPECT_EQ(render("{{.Config}}", dot), "map[Cmd:[sh -c] User:]");
}

TEST(GoTemplate, Functions) {
  json dot = {{"Tags", {"a:1", "b:2"}}, {"Labels", {{"k", "v"}}}, {"N", 3}, {"Name", "Web"}};
  EXPECT_EQ(render("{{json .Tags}}", dot), "[\"a:1\",\"b:2\"]");
  EXPECT_EQ(render("{{join .Tags \", \"}}", dot), "a:1, b:2");
  EXPECT_EQ(render("{{index .Labels \"k\"}}", dot), "v");
  EXPECT_EQ(render("{{len .Tags}}", dot), "2");
  EXPECT_EQ(render("{{.Name | lower}}", dot), "web");
  EXPECT_EQ(render("{{upper .Name}}", dot), "WEB");
  EXPECT_EQ(render("{{printf \"%s=%d\" .Name .N}}", dot), "Web=3");
  EXPECT_EQ(render("{{json .Labels}}", dot), "{\"k\":\"v\"}");
}

TEST(GoTemplate, RangeIfWith) {
  json dot = {{"Tags", {"a", "b"}}, {"Empty", json::array()}, {"On", true}, {"Obj", {{"X", 1}}}};
  EXPECT_EQ(render("{{range .Tags}}<{{.}}>{{end}}", dot), "<a><b>");
  EXPECT_EQ(render("{{range .Empty}}x{{else}}none{{end}}", dot), "none");
  EXPECT_EQ(render("{{if .On}}yes{{else}}no{{end}}", dot), "yes");
  EXPECT_EQ(render("{{if .Empty}}yes{{else}}no{{end}}", dot), "no");
  EXPECT_EQ(render("{{with .Obj}}{{.X}}{{end}}", dot), "1");
}

TEST(GoTemplate, ErrorsNameTheProblem) {
  EXPECT_EQ(render("{{.A", json::object()), "parse error: template: unclosed action in \"{{.A\"");
  EXPECT_EQ(render("{{range .A}}x", json::object()),
            "parse error: template: missing {{end}} in \"{{range .A}}x\"");
  EXPECT_EQ(render("{{nosuch .A}}", json::object()),
            "render error: template: function \"nosuch\" not defined");
  EXPECT_EQ(render("{{end}}", json::object()),
            "parse error: template: unexpected {{end}} in \"{{end}}\"");
}

TEST(GoTemplate, TableFormatAndEscapes) {
  auto tf = berth::cli::split_table_format("table {{.A}}\t{{.B}}");
  EXPECT_TRUE(tf.table);
  EXPECT_EQ(tf.row, "{{.A}}\t{{.B}}");
  EXPECT_FALSE(berth::cli::split_table_format("{{.A}}").table);
  EXPECT_EQ(berth::cli::unescape_format("{{.A}}\\t{{.B}}\\n"), "{{.A}}\t{{.B}}\n");
}

TEST(HumanUnits, SizesAsDockerPrintsThem) {
  EXPECT_EQ(berth::cli::human_size(0), "0B");
  EXPECT_EQ(berth::cli::human_size(999), "999B");
  EXPECT_EQ(berth::cli::human_size(1234), "1.23kB");
  EXPECT_EQ(berth::cli::human_size(4261550), "4.26MB");
  EXPECT_EQ(berth::cli::human_size(1000000000), "1GB");
}

TEST(HumanUnits, DurationsAsDockerPrintsThem) {
  using berth::cli::human_duration;
  EXPECT_EQ(human_duration(0), "Less than a second");
  EXPECT_EQ(human_duration(1), "1 second");
  EXPECT_EQ(human_duration(30), "30 seconds");
  EXPECT_EQ(human_duration(90), "About a minute");
  EXPECT_EQ(human_duration(600), "10 minutes");
  EXPECT_EQ(human_duration(3600), "About an hour");
  EXPECT_EQ(human_duration(5 * 3600), "5 hours");
  EXPECT_EQ(human_duration(3 * 86400), "3 days");
  EXPECT_EQ(human_duration(20 * 86400), "2 weeks");
  EXPECT_EQ(human_duration(100 * 86400), "3 months");
  EXPECT_EQ(human_duration(800 * 86400), "2 years");
}

TEST(HumanUnits, Rfc3339) {
  EXPECT_EQ(berth::cli::parse_rfc3339("1970-01-01T00:00:10Z"), 10);
  EXPECT_EQ(berth::cli::parse_rfc3339("1970-01-01T01:00:00.123456789+01:00"), 0);
  EXPECT_EQ(berth::cli::parse_rfc3339("2024-01-02T03:04:05Z").value_or(0), 1704164645);
  EXPECT_FALSE(berth::cli::parse_rfc3339("yesterday"));
  EXPECT_FALSE(berth::cli::parse_rfc3339("2024-01-02T03:04:05"));
  EXPECT_EQ(berth::cli::rfc3339(1704164645), "2024-01-02T03:04:05Z");
  EXPECT_EQ(berth::cli::go_time(0), "1970-01-01 00:00:00 +0000 UTC");
}

TEST(Table, ColumnsAsDockersTabwriter) {
  std::string out = berth::cli::tabulate(
      {"REPOSITORY\tTAG\tSIZE", "busybox\tlatest\t4MB", "a-much-longer-repository-name\t1\t1kB"});
  EXPECT_EQ(out,
            "REPOSITORY                      TAG       SIZE\n"
            "busybox                         latest    4MB\n"
            "a-much-longer-repository-name   1         1kB\n");
}
