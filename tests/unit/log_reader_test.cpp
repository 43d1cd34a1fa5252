#include "engine/log_reader.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/clock.hpp"
#include "base/fs.hpp"
#include "monitor/json_file_log.hpp"

using berth::engine::LogEntry;
using berth::engine::LogReadOptions;
using berth::engine::parse_log_tail;
using berth::engine::parse_log_time;
using berth::engine::read_logs;
using berth::monitor::JsonFileLog;
using berth::monitor::LogStream;

namespace {

struct LogDir {
  std::string path;
  LogDir() {
    std::string tmpl = "/tmp/berth-logread-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~LogDir() { (void)berth::fs::remove_all(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

// An entry as the writer makes it, at a time of our choosing: second sec + nsec.
std::string entry(const std::string& text, time_t sec, long nsec = 0,
                  const char* stream = "stdout") {
  std::string out = "{\"log\":";
  berth::monitor::append_json_log_string(out, text);
  out += std::string(",\"stream\":\"") + stream + "\",\"time\":\"" +
         berth::rfc3339(timespec{sec, nsec}) + "\"}\n";
  return out;
}

void append(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fd);
}

// Entries "e<n>\n" at second 1000+n; n in [0,4) in .2, [4,7) in .1, [7,10) in the log.
std::string rotated_log(const LogDir& dir) {
  auto path = dir.file("c-json.log");
  for (int n = 0; n < 10; ++n) {
    std::string name = n < 4 ? path + ".2" : n < 7 ? path + ".1" : path;
    append(name, entry("e" + std::to_string(n) + "\n", 1000 + n));
  }
  return path;
}

std::vector<std::string> read_texts(const std::string& path, const LogReadOptions& options) {
  std::vector<std::string> out;
  auto status = read_logs(path, options, [&](const LogEntry& e) -> berth::Status {
    out.push_back(e.text);
    return {};
  });
  EXPECT_TRUE(status) << status.error().what();
  return out;
}

using Texts = std::vector<std::string>;

Texts numbered(int from, int to) {
  Texts out;
  for (int n = from; n < to; ++n) out.push_back("e" + std::to_string(n) + "\n");
  return out;
}

}  // namespace

TEST(LogReader, MissingLogIsEmpty) {
  LogDir dir;
  EXPECT_TRUE(read_texts(dir.file("c-json.log"), {}).empty());
  LogReadOptions follow;
  follow.follow = true;
  follow.stopped = [] { return true; };
  EXPECT_TRUE(read_texts(dir.file("c-json.log"), follow).empty());
}

TEST(LogReader, ReadsRotatedFilesOldestFirst) {
  LogDir dir;
  auto path = rotated_log(dir);
  EXPECT_EQ(read_texts(path, {}), numbered(0, 10));
}

TEST(LogReader, KeepsStreamAndTime) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  append(path, entry("out\n", 1700000000, 5) + entry("err\n", 1700000001, 6, "stderr"));
  std::vector<LogEntry> got;
  ASSERT_TRUE(read_logs(path, {}, [&](const LogEntry& e) -> berth::Status {
    got.push_back(e);
    return {};
  }));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].stream, LogStream::stdout_);
  EXPECT_EQ(got[0].time, "2023-11-14T22:13:20.000000005Z");
  EXPECT_EQ(got[1].stream, LogStream::stderr_);
  EXPECT_EQ(got[1].text, "err\n");
}

TEST(LogReader, TailAcrossRotatedFiles) {
  LogDir dir;
  auto path = rotated_log(dir);
  LogReadOptions o;
  o.tail = 4;
  EXPECT_EQ(read_texts(path, o), numbered(6, 10));
  o.tail = 0;
  EXPECT_TRUE(read_texts(path, o).empty());
  o.tail = 100;
  EXPECT_EQ(read_texts(path, o), numbered(0, 10));
  o.tail = 7;
  EXPECT_EQ(read_texts(path, o), numbered(3, 10));
}

TEST(LogReader, SinceAndUntil) {
  LogDir dir;
  auto path = rotated_log(dir);
  LogReadOptions o;
  o.since = timespec{1003, 0};
  o.until = timespec{1007, 0};
  EXPECT_EQ(read_texts(path, o), numbered(3, 7));
  // Nanoseconds count.
  o.since = timespec{1002, 1};
  o.until = timespec{1004, 1};
  EXPECT_EQ(read_texts(path, o), numbered(3, 5));
  o.until.reset();
  o.since = timespec{2000, 0};
  EXPECT_TRUE(read_texts(path, o).empty());
}

TEST(LogReader, TailOfTheSelectedEntries) {
  LogDir dir;
  auto path = rotated_log(dir);
  LogReadOptions o;
  o.tail = 5;
  o.since = timespec{1007, 0};
  EXPECT_EQ(read_texts(path, o), numbered(7, 10));
  o.since.reset();
  o.until = timespec{1005, 0};
  o.tail = 2;
  EXPECT_EQ(read_texts(path, o), numbered(3, 5));
}

TEST(LogReader, SkipsMalformedLines) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  append(path, "garbage\n\n" + entry("a\n", 1) + "{\"log\":\"no time\\n\"}\n[1,2]\n" +
                   "{\"log\":\"bad time\\n\",\"time\":\"yesterday\"}\n" + entry("b\n", 2) +
                   "{\"log\":\"half");
  EXPECT_EQ(read_texts(path, {}), (Texts{"a\n", "b\n"}));
  LogReadOptions o;
  o.tail = 10;
  EXPECT_EQ(read_texts(path, o), (Texts{"a\n", "b\n"}));
}

TEST(LogReader, StopsAtTheCallbacksError) {
  LogDir dir;
  auto path = rotated_log(dir);
  int calls = 0;
  auto status = read_logs(path, {}, [&](const LogEntry&) -> berth::Status {
    if (++calls == 3) return berth::fail(berth::sys_error(EPIPE, "write stdout"));
    return {};
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().errno_value, EPIPE);
  EXPECT_EQ(calls, 3);
}

TEST(LogReader, FollowEndsWhenStoppedAndAllIsRead) {
  LogDir dir;
  auto path = rotated_log(dir);
  LogReadOptions o;
  o.follow = true;
  o.stopped = [] { return true; };
  EXPECT_EQ(read_texts(path, o), numbered(0, 10));
  o.tail = 2;
  EXPECT_EQ(read_texts(path, o), numbered(8, 10));
}

TEST(LogReader, FollowEndsAtUntil) {
  LogDir dir;
  auto path = rotated_log(dir);
  LogReadOptions o;
  o.follow = true;
  o.until = timespec{1005, 0};
  o.stopped = [] { return false; };
  EXPECT_EQ(read_texts(path, o), numbered(0, 5));
}

TEST(LogReader, FollowReturnsTheCallbacksError) {
  LogDir dir;
  auto path = rotated_log(dir);
  LogReadOptions o;
  o.follow = true;
  o.stopped = [] { return false; };
  auto status = read_logs(path, o, [&](const LogEntry&) -> berth::Status {
    return berth::fail(berth::sys_error(EPIPE, "write stdout"));
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().errno_value, EPIPE);
}

namespace {

// Follows path while writer() runs in a thread, started once the reader delivered start_after
// (at once when empty); stopped() turns true once the writer returned (or, so that a hang fails
// rather than blocks, after a minute).
template <typename Writer>
Texts follow_while(const std::string& path, LogReadOptions o, Writer writer,
                   const std::string& start_after = "") {
  std::atomic<bool> done{false};
  std::promise<void> go;
  if (start_after.empty()) go.set_value();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  int wake = ::eventfd(0, EFD_CLOEXEC);
  o.follow = true;
  o.wake_fd = wake;
  o.stopped = [&] { return done.load() || std::chrono::steady_clock::now() > deadline; };
  std::thread t([&, started = go.get_future()] {
    if (started.wait_until(deadline) == std::future_status::ready) writer();
    done = true;
    uint64_t one = 1;
    (void)!::write(wake, &one, sizeof(one));
  });
  Texts got;
  auto status = read_logs(path, o, [&](const LogEntry& e) -> berth::Status {
    got.push_back(e.text);
    if (!start_after.empty() && e.text == start_after) go.set_value();
    return {};
  });
  EXPECT_TRUE(status) << status.error().what();
  t.join();
  ::close(wake);
  return got;
}

}  // namespace

TEST(LogReader, FollowsThroughRotations) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  constexpr int kLines = 1500;
  Texts got = follow_while(path, {}, [&] {
    auto log = JsonFileLog::open(path, {1000, 200});
    ASSERT_TRUE(log);
    for (int n = 0; n < kLines; ++n) {
      auto stream = n % 3 == 0 ? LogStream::stderr_ : LogStream::stdout_;
      ASSERT_TRUE(log->write(stream, "e" + std::to_string(n) + "\n"));
    }
  });
  EXPECT_TRUE(berth::fs::exists(path + ".50"));
  ASSERT_EQ(got.size(), static_cast<size_t>(kLines));
  EXPECT_EQ(got, numbered(0, kLines));
}

TEST(LogReader, FollowsFromTheTail) {
  LogDir dir;
  auto path = rotated_log(dir);
  LogReadOptions o;
  o.tail = 3;
  Texts got = follow_while(
      path, o,
      [&] {
        auto log = JsonFileLog::open(path, {300, 50});
        ASSERT_TRUE(log);
        for (int n = 10; n < 200; ++n)
          ASSERT_TRUE(log->write(LogStream::stdout_, "e" + std::to_string(n) + "\n"));
      },
      "e9\n");
  EXPECT_EQ(got, numbered(7, 200));
}

TEST(LogReader, FollowsATruncatedLogToItsEnd) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  constexpr int kLines = 2000;
  Texts got = follow_while(path, {}, [&] {
    auto log = JsonFileLog::open(path, {1000, 1});
    ASSERT_TRUE(log);
    for (int n = 0; n < kLines; ++n)
      ASSERT_TRUE(log->write(LogStream::stdout_, "e" + std::to_string(n) + "\n"));
  });
  // max-file 1 may lose entries to a reader that falls behind, never reorder them, and the end
  // is always read.
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back(), "e" + std::to_string(kLines - 1) + "\n");
  for (size_t i = 1; i < got.size(); ++i)
    EXPECT_LT(std::stoi(got[i - 1].substr(1)), std::stoi(got[i].substr(1)));
}

TEST(LogReader, FollowRereadsAHalfWrittenLine) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  std::string second = entry("second\n", 2);
  append(path, entry("first\n", 1) + second.substr(0, 10));
  std::atomic<bool> done{false};
  int wake = ::eventfd(0, EFD_CLOEXEC);
  LogReadOptions o;
  o.follow = true;
  o.wake_fd = wake;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  o.stopped = [&] { return done.load() || std::chrono::steady_clock::now() > deadline; };
  Texts got;
  std::thread finisher;
  auto status = read_logs(path, o, [&](const LogEntry& e) -> berth::Status {
    got.push_back(e.text);
    if (e.text == "first\n") {
      // The half line was read with the first one; the rest comes now.
      finisher = std::thread([&] {
        append(path, second.substr(10));
        done = true;
        uint64_t one = 1;
        (void)!::write(wake, &one, sizeof(one));
      });
    }
    return {};
  });
  if (finisher.joinable()) finisher.join();
  ::close(wake);
  ASSERT_TRUE(status) << status.error().what();
  EXPECT_EQ(got, (Texts{"first\n", "second\n"}));
}

TEST(LogReader, FollowWaitsForTheLogToAppear) {
  LogDir dir;
  auto path = dir.file("c-json.log");
  Texts got = follow_while(path, {}, [&] {
    auto log = JsonFileLog::open(path, {});
    ASSERT_TRUE(log);
    ASSERT_TRUE(log->write(LogStream::stdout_, "e0\ne1\n"));
  });
  EXPECT_EQ(got, numbered(0, 2));
}

TEST(ParseLogTail, Values) {
  EXPECT_EQ(parse_log_tail("10"), 10u);
  EXPECT_EQ(parse_log_tail("0"), 0u);
  EXPECT_EQ(parse_log_tail("all"), std::nullopt);
  EXPECT_EQ(parse_log_tail("-1"), std::nullopt);
}

namespace {

timespec parsed(std::string_view value, timespec now = {1700000000, 0}) {
  auto r = parse_log_time("since", value, now);
  EXPECT_TRUE(r) << value << ": " << r.error().what();
  return r ? *r : timespec{-1, -1};
}

bool same(timespec a, timespec b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

time_t local(int year, int mon, int day, int hour, int min, int sec) {
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  tm.tm_isdst = -1;
  return ::mktime(&tm);
}

}  // namespace

TEST(ParseLogTime, Rfc3339) {
  // 2026-11-26T11:48:36Z
  constexpr time_t t = 1795693716;
  EXPECT_TRUE(same(parsed("2026-11-26T11:48:36Z"), {t, 0}));
  EXPECT_TRUE(same(parsed("2026-11-26T11:48:36.5Z"), {t, 500000000}));
  EXPECT_TRUE(same(parsed("2026-11-26T11:48:36.123456789Z"), {t, 123456789}));
  EXPECT_TRUE(same(parsed("2026-11-26T13:48:36+02:00"), {t, 0}));
  EXPECT_TRUE(same(parsed("2026-11-26T10:48:36.25-01:00"), {t, 250000000}));
  EXPECT_TRUE(same(parsed("2026-11-26T11:48Z"), {t - 36, 0}));
  // Without a zone: local time.
  EXPECT_TRUE(same(parsed("2026-11-26T11:48:36"), {local(2026, 11, 26, 11, 48, 36), 0}));
  EXPECT_TRUE(same(parsed("2026-11-26T11:48:36.1"), {local(2026, 11, 26, 11, 48, 36), 100000000}));
  EXPECT_TRUE(same(parsed("2026-11-26"), {local(2026, 11, 26, 0, 0, 0), 0}));
}

TEST(ParseLogTime, UnixTimes) {
  EXPECT_TRUE(same(parsed("1700000000"), {1700000000, 0}));
  EXPECT_TRUE(same(parsed("1700000000.5"), {1700000000, 500000000}));
  EXPECT_TRUE(same(parsed("1700000000.000000001"), {1700000000, 1}));
  EXPECT_TRUE(same(parsed("0"), {0, 0}));
}

TEST(ParseLogTime, DurationsBeforeNow) {
  timespec now{10000, 0};
  EXPECT_TRUE(same(parsed("10m", now), {9400, 0}));
  EXPECT_TRUE(same(parsed("1h30m", now), {10000 - 5400, 0}));
  EXPECT_TRUE(same(parsed("42s", now), {9958, 0}));
  EXPECT_TRUE(same(parsed("1.5s", now), {9998, 500000000}));
  EXPECT_TRUE(same(parsed("300ms", now), {9999, 700000000}));
  EXPECT_TRUE(same(parsed("-1m", now), {10060, 0}));
}

TEST(ParseLogTime, Errors) {
  for (const char* bad : {"xyz", "", "10x", "2026-13-01", "2026-11-26T25:00:00Z", "12:00",
                          "1700000000.", "1h30", "2026-11-26T11:48:36+0200"}) {
    auto r = parse_log_time("since", bad, {0, 0});
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().what(), std::string("invalid value for \"since\": \"") + bad + "\"");
    }
  }
  auto r = parse_log_time("until", "soon");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "invalid value for \"until\": \"soon\"");
}
