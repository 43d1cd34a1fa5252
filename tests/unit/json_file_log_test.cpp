#include "monitor/json_file_log.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.hpp"

using berth::monitor::append_json_log_string;
using berth::monitor::JsonFileLog;
using berth::monitor::kMaxLogLine;
using berth::monitor::LogRotation;
using berth::monitor::LogStream;
using berth::monitor::parse_log_options;

namespace {

struct LogDir {
  std::string path;
  LogDir() {
    std::string tmpl = "/tmp/berth-jsonlog-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~LogDir() { (void)berth::fs::remove_all(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

std::string escaped(std::string_view text) {
  std::string out;
  append_json_log_string(out, text);
  return out;
}

struct Line {
  std::string log, stream, time;
};

std::vector<Line> read_lines(const std::string& path) {
  std::vector<Line> lines;
  auto text = berth::fs::read_file(path);
  if (!text) return lines;
  size_t start = 0;
  while (start < text->size()) {
    size_t nl = text->find('\n', start);
    EXPECT_NE(nl, std::string::npos) << "unfinished line in " << path;
    if (nl == std::string::npos) break;
    auto j = nlohmann::json::parse(text->substr(start, nl - start));
    lines.push_back({j.at("log"), j.at("stream"), j.at("time")});
    start = nl + 1;
  }
  return lines;
}

JsonFileLog open_log(const std::string& path, LogRotation rotation = {}) {
  auto log = JsonFileLog::open(path, rotation);
  EXPECT_TRUE(log) << log.error().what();
  return std::move(*log);
}

uint64_t file_size(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

TEST(JsonFileLog, WritesDockersFormat) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  auto log = open_log(path);
  ASSERT_TRUE(log.write(LogStream::stdout_, "hello\n"));
  ASSERT_TRUE(log.write(LogStream::stderr_, "oops\n"));
  auto text = berth::fs::read_file(path);
  ASSERT_TRUE(text);
  // {"log":"hello\n","stream":"stdout","time":"2026-11-26T11:48:36.123456789Z"}
  const std::string first = R"({"log":"hello\n","stream":"stdout","time":")";
  const std::string second = R"({"log":"oops\n","stream":"stderr","time":")";
  const size_t time_len = std::string("2026-11-26T11:48:36.123456789Z").size();
  ASSERT_EQ(text->size(), first.size() + second.size() + 2 * (time_len + 3)) << *text;
  EXPECT_EQ(text->substr(0, first.size()), first);
  std::string time = text->substr(first.size(), time_len);
  EXPECT_EQ(time[4], '-');
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time[19], '.');
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_EQ(time.find_first_not_of("0123456789-T:.Z"), std::string::npos) << time;
  size_t rest = first.size() + time_len;
  EXPECT_EQ(text->substr(rest, 3), "\"}\n");
  EXPECT_EQ(text->substr(rest + 3, second.size()), second);
  EXPECT_EQ(text->substr(text->size() - 3), "\"}\n");
}

TEST(JsonFileLog, CreatesTheFileWithDockersMode) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  mode_t old = ::umask(022);
  auto log = JsonFileLog::open(path, {});
  ::umask(old);
  ASSERT_TRUE(log);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST(JsonFileLog, EscapesAsDocker) {
  EXPECT_EQ(escaped("plain text"), R"("plain text")");
  EXPECT_EQ(escaped("a\"b\\c\n\r\t"), R"("a\"b\\c\n\r\u0009")");
  EXPECT_EQ(escaped(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(escaped(std::string("\0", 1)), R"("\u0000")");
  EXPECT_EQ(escaped("<a&b>"), R"("\u003ca\u0026b\u003e")");
  EXPECT_EQ(escaped("\u2028x\u2029"), R"("\u2028x\u2029")");
  // Valid UTF-8 stays as it is.
  EXPECT_EQ(escaped("h\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e"),
            "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e\"");
  // Each byte of invalid UTF-8 becomes one U+FFFD.
  EXPECT_EQ(escaped("a\xff"
                    "b"),
            R"("a\ufffdb")");
  EXPECT_EQ(escaped("\xc3"), R"("\ufffd")");                                // cut short
  EXPECT_EQ(escaped("\xc0\xaf"), R"("\ufffd\ufffd")");                      // overlong
  EXPECT_EQ(escaped("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");            // surrogate
  EXPECT_EQ(escaped("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
  EXPECT_EQ(escaped("\xe2\x82"), R"("\ufffd\ufffd")");
}

TEST(JsonFileLog, EscapedLinesParseBack) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  auto log = open_log(path);
  std::string text("ctl \x01 \x1b[0m quote \" tab \t \xff end\n");
  ASSERT_TRUE(log.write(LogStream::stdout_, text));
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].log, "ctl \x01 \x1b[0m quote \" tab \t \xef\xbf\xbd end\n");
}

TEST(JsonFileLog, HoldsPartialLinesPerStream) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  auto log = open_log(path);
  ASSERT_TRUE(log.write(LogStream::stdout_, "abc"));
  EXPECT_EQ(file_size(path), 0u);
  ASSERT_TRUE(log.write(LogStream::stderr_, "err"));
  ASSERT_TRUE(log.write(LogStream::stdout_, "def\none\ntwo\nghi"));
  ASSERT_TRUE(log.write(LogStream::stderr_, " line\n"));
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].log, "abcdef\n");
  EXPECT_EQ(lines[1].log, "one\n");
  EXPECT_EQ(lines[2].log, "two\n");
  EXPECT_EQ(lines[3].log, "err line\n");
  EXPECT_EQ(lines[3].stream, "stderr");
  // At the end of the stream what is held is written as it is.
  ASSERT_TRUE(log.flush());
  lines = read_lines(path);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[4].log, "ghi");
  EXPECT_EQ(lines[4].stream, "stdout");
  // Nothing held: nothing written.
  ASSERT_TRUE(log.flush(LogStream::stdout_));
  EXPECT_EQ(read_lines(path).size(), 5u);
}

TEST(JsonFileLog, EmptyLinesAreEntries) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  auto log = open_log(path);
  ASSERT_TRUE(log.write(LogStream::stdout_, "\n\n"));
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].log, "\n");
}

TEST(JsonFileLog, SplitsLongLinesAt16K) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  auto log = open_log(path);
  // Arriving in small reads, as from a pipe.
  std::string big(2 * kMaxLogLine + 10, 'x');
  big += "\n";
  for (size_t i = 0; i < big.size(); i += 1000)
    ASSERT_TRUE(log.write(LogStream::stdout_, std::string_view(big).substr(i, 1000)));
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].log, std::string(kMaxLogLine, 'x'));
  EXPECT_EQ(lines[1].log, std::string(kMaxLogLine, 'x'));
  EXPECT_EQ(lines[2].log, std::string(10, 'x') + "\n");
  // A line of exactly 16 KiB keeps its newline in one entry.
  ASSERT_TRUE(log.write(LogStream::stderr_, std::string(kMaxLogLine, 'y') + "\n"));
  lines = read_lines(path);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[3].log, std::string(kMaxLogLine, 'y') + "\n");
  // A 16 KiB partial line followed by more is written before the more.
  ASSERT_TRUE(log.write(LogStream::stdout_, std::string(kMaxLogLine, 'z')));
  EXPECT_EQ(read_lines(path).size(), 4u);
  ASSERT_TRUE(log.write(LogStream::stdout_, "tail\n"));
  lines = read_lines(path);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[4].log, std::string(kMaxLogLine, 'z'));
  EXPECT_EQ(lines[5].log, "tail\n");
}

TEST(JsonFileLog, AppendsToAnExistingLog) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  {
    auto log = open_log(path);
    ASSERT_TRUE(log.write(LogStream::stdout_, "first run\n"));
  }
  auto log = open_log(path);
  ASSERT_TRUE(log.write(LogStream::stdout_, "second run\n"));
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].log, "first run\n");
  EXPECT_EQ(lines[1].log, "second run\n");
}

namespace {

// Writes lines "n\n" for n in [from, to) one write each.
void write_numbered(JsonFileLog& log, int from, int to) {
  for (int n = from; n < to; ++n)
    ASSERT_TRUE(log.write(LogStream::stdout_, std::to_string(n) + "\n"));
}

std::vector<int> numbers_in(const std::string& path) {
  std::vector<int> out;
  for (const auto& l : read_lines(path)) out.push_back(std::stoi(l.log));
  return out;
}

}  // namespace

TEST(JsonFileLog, RotatesKeepingMaxFileFiles) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  const uint64_t max_size = 500;
  auto log = open_log(path, {max_size, 3});
  write_numbered(log, 0, 200);
  EXPECT_TRUE(berth::fs::exists(path + ".1"));
  EXPECT_TRUE(berth::fs::exists(path + ".2"));
  EXPECT_FALSE(berth::fs::exists(path + ".3"));
  std::vector<int> all;
  for (const auto& name : {path + ".2", path + ".1", path}) {
    EXPECT_LE(file_size(name), max_size) << name;
    auto numbers = numbers_in(name);
    EXPECT_FALSE(numbers.empty()) << name;
    all.insert(all.end(), numbers.begin(), numbers.end());
  }
  // The newest entries, in order, with none missing.
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back(), 199);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_EQ(all[i], all[i - 1] + 1);
  // Full files: the next entry would not have fit.
  EXPECT_GT(file_size(path + ".1") + 60, max_size);
}

TEST(JsonFileLog, MaxFileOneTruncatesInPlace) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  auto log = open_log(path, {400, 1});
  write_numbered(log, 0, 100);
  EXPECT_FALSE(berth::fs::exists(path + ".1"));
  EXPECT_LE(file_size(path), 400u);
  auto numbers = numbers_in(path);
  ASSERT_FALSE(numbers.empty());
  EXPECT_EQ(numbers.back(), 99);
  for (size_t i = 1; i < numbers.size(); ++i) EXPECT_EQ(numbers[i], numbers[i - 1] + 1);
}

TEST(JsonFileLog, AnEntryLargerThanMaxSizeGetsAFileOfItsOwn) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  auto log = open_log(path, {200, 5});
  ASSERT_TRUE(log.write(LogStream::stdout_, "small\n"));
  ASSERT_TRUE(log.write(LogStream::stdout_, std::string(300, 'b') + "\n"));
  ASSERT_TRUE(log.write(LogStream::stdout_, "after\n"));
  EXPECT_EQ(read_lines(path + ".2").at(0).log, "small\n");
  EXPECT_EQ(read_lines(path + ".1").at(0).log, std::string(300, 'b') + "\n");
  EXPECT_EQ(read_lines(path).at(0).log, "after\n");
}

TEST(JsonFileLog, RotationCountsWhatIsAlreadyThere) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  {
    auto log = open_log(path);
    ASSERT_TRUE(log.write(LogStream::stdout_, std::string(150, 'a') + "\n"));
  }
  auto log = open_log(path, {200, 2});
  ASSERT_TRUE(log.write(LogStream::stdout_, "next\n"));
  EXPECT_EQ(read_lines(path + ".1").size(), 1u);
  EXPECT_EQ(read_lines(path).at(0).log, "next\n");
}

TEST(ParseLogOptions, Sizes) {
  auto size = [](const std::string& v) {
    auto r = parse_log_options({{"max-size", v}});
    EXPECT_TRUE(r) << v << ": " << r.error().what();
    return r ? r->max_size : 0;
  };
  EXPECT_EQ(size("123"), 123u);
  EXPECT_EQ(size("100k"), 100u * 1024);
  EXPECT_EQ(size("10m"), 10u * 1024 * 1024);
  EXPECT_EQ(size("1g"), 1024u * 1024 * 1024);
  EXPECT_EQ(size("10MB"), 10u * 1024 * 1024);
  EXPECT_EQ(size("10 MiB"), 10u * 1024 * 1024);
  EXPECT_EQ(size("1.5k"), 1536u);
  EXPECT_EQ(size("64b"), 64u);
}

TEST(ParseLogOptions, Defaults) {
  auto r = parse_log_options({});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->max_size, 0u);
  EXPECT_EQ(r->max_file, 1);
  r = parse_log_options({{"max-size", "1m"}, {"max-file", "3"}, {"compress", "false"}});
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->max_file, 3);
  EXPECT_TRUE(parse_log_options({{"max-file", "1"}}));
}

TEST(ParseLogOptions, Errors) {
  auto message = [](std::map<std::string, std::string> opts) {
    auto r = parse_log_options(opts);
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().what();
  };
  EXPECT_EQ(message({{"max-bytes", "1"}}), "unknown log opt 'max-bytes' for json-file log driver");
  EXPECT_EQ(message({{"max-size", "xyz"}}),
            "log opt 'max-size' for json-file log driver: invalid size: 'xyz'");
  EXPECT_EQ(message({{"max-size", "10q"}}),
            "log opt 'max-size' for json-file log driver: invalid size: '10q'");
  EXPECT_EQ(message({{"max-size", "0"}}),
            "log opt 'max-size' for json-file log driver: max-size must be a positive number");
  EXPECT_EQ(message({{"max-size", "1m"}, {"max-file", "0"}}),
            "log opt 'max-file' for json-file log driver: max-file cannot be less than 1");
  EXPECT_EQ(message({{"max-size", "1m"}, {"max-file", "x"}}),
            "log opt 'max-file' for json-file log driver: invalid number \"x\"");
  EXPECT_EQ(message({{"max-file", "3"}}),
            "log opt 'max-file' for json-file log driver: max-file cannot be set without max-size");
  EXPECT_EQ(message({{"compress", "true"}}),
            "log opt 'compress' for json-file log driver: compression of rotated log files is "
            "not supported");
  EXPECT_EQ(message({{"compress", "maybe"}}),
            "log opt 'compress' for json-file log driver: invalid boolean \"maybe\"");
  for (const char* key : {"labels", "labels-regex", "env", "env-regex", "tag"})
    EXPECT_EQ(message({{key, "x"}}),
              std::string("log opt '") + key + "' for json-file log driver: not supported");
}
