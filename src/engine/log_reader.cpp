#include "engine/log_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/fs.hpp"
#include "base/syscalls.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine {

namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr int kRecheckMs = 1000;
// Rotations seen while opening the set of files before giving up on a consistent view.
constexpr int kOpenAttempts = 100;

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};

std::optional<FileId> id_of_path(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

FileId id_of_fd(int fd) {
  struct stat st = {};
  ::fstat(fd, &st);
  return FileId{st.st_dev, st.st_ino};
}

// A missing file is an invalid fd, not an error.
Result<unique_fd> open_if_exists(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return unique_fd();
    return fail_sys("open " + quote(path));
  }
  return unique_fd(fd);
}

// The N of the rotated files path.N that exist, highest (oldest) first.
Result<std::vector<int>> rotated_numbers(const std::string& path) {
  std::string dir = fs::dirname(path);
  std::string prefix = fs::basename(path) + ".";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return std::vector<int>{};
    return fail_sys("open " + quote(dir));
  }
  std::vector<int> numbers;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (!name.starts_with(prefix)) continue;
    name.remove_prefix(prefix.size());
    int n = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
    if (ec == std::errc() && end == name.data() + name.size() && n > 0 && name[0] != '0')
      numbers.push_back(n);
  }
  ::closedir(d);
  std::sort(numbers.rbegin(), numbers.rend());
  return numbers;
}

Result<size_t> pread_some(int fd, char* buf, size_t len, off_t offset) {
  while (true) {
    ssize_t n = ::pread(fd, buf, len, offset);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return fail_sys("read log");
  }
}

std::optional<LogEntry> parse_entry(std::string_view line, std::optional<timespec>* time) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto log = j.find("log");
  auto stream = j.find("stream");
  auto t = j.find("time");
  if (t == j.end() || !t->is_string()) return std::nullopt;
  if (log != j.end() && !log->is_string()) return std::nullopt;
  LogEntry e;
  e.time = t->get<std::string>();
  if (log != j.end()) e.text = log->get<std::string>();
  if (stream != j.end() && stream->is_string() && *stream == "stderr")
    e.stream = monitor::LogStream::stderr_;
  *time = parse_rfc3339(e.time);
  if (!*time) return std::nullopt;
  return e;
}

class LogReader {
 public:
  LogReader(const std::string& path, const LogReadOptions& options, const LogCallback& on_entry)
      : path_(path), options_(options), on_entry_(on_entry) {}

  Status run() {
    if (options_.follow) BERTH_CHECK(watch());
    std::vector<unique_fd> rotated = BERTH_TRY(open_files());
    if (options_.tail) {
      BERTH_CHECK(read_tail(rotated));
    } else {
      for (auto& fd : rotated) {
        BERTH_CHECK(read_whole(fd.get()));
        if (finished_) return {};
      }
      if (current_) BERTH_CHECK(drain_current());
    }
    if (finished_ || !options_.follow) return {};
    return follow();
  }

 private:
  enum class Verdict { use, skip, end };

  // Whether an entry is selected, or ends the reading (past until).
  Verdict select(const timespec& t) const {
    if (options_.until && compare_timespec(t, *options_.until) >= 0) return Verdict::end;
    if (options_.since && compare_timespec(t, *options_.since) < 0) return Verdict::skip;
    return Verdict::use;
  }

  Status deliver(std::string_view line) {
    std::optional<timespec> t;
    auto entry = parse_entry(line, &t);
    if (!entry) return {};
    switch (select(*t)) {
      case Verdict::skip:
        return {};
      case Verdict::end:
        finished_ = true;
        return {};
      case Verdict::use:
        break;
    }
    return on_entry_(*entry);
  }

  // Delivers the complete lines at the start of buf; returns the bytes consumed.
  Result<size_t> deliver_lines(std::string_view buf) {
    size_t done = 0;
    while (!finished_) {
      size_t nl = buf.find('\n', done);
      if (nl == std::string_view::npos) break;
      BERTH_CHECK(deliver(buf.substr(done, nl - done)));
      done = nl + 1;
    }
    return done;
  }

  // The current file and the rotated ones (oldest first), opened so that no rotation came in
  // between: the current file is still path at the end.
  Result<std::vector<unique_fd>> open_files() {
    for (int attempt = 0;; ++attempt) {
      current_ = BERTH_TRY(open_if_exists(path_));
      std::vector<FileId> seen;
      if (current_) seen.push_back(id_of_fd(current_.get()));
      std::vector<unique_fd> rotated;
      for (int n : BERTH_TRY(rotated_numbers(path_))) {
        unique_fd fd = BERTH_TRY(open_if_exists(path_ + "." + std::to_string(n)));
        if (!fd) continue;
        FileId id = id_of_fd(fd.get());
        if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
        seen.push_back(id);
        rotated.push_back(std::move(fd));
      }
      auto now = id_of_path(path_);
      bool same = current_ ? now == id_of_fd(current_.get()) : !now.has_value();
      if (same || attempt + 1 >= kOpenAttempts) {
        rewind();
        prev_id_.reset();
        // Between a rotation's rename and the new file: the next file follows the newest.
        if (!current_ && !rotated.empty()) prev_id_ = id_of_fd(rotated.back().get());
        return rotated;
      }
    }
  }

  Status read_whole(int fd) {
    std::string buf;
    off_t offset = 0;
    char chunk[kChunk];
    while (!finished_) {
      size_t n = BERTH_TRY(pread_some(fd, chunk, sizeof(chunk), offset));
      if (n == 0) break;
      offset += static_cast<off_t>(n);
      buf.append(chunk, n);
      size_t used = BERTH_TRY(deliver_lines(buf));
      buf.erase(0, used);
    }
    return {};
  }

  // Reads the current file from offset_ to its end; an unfinished last line stays for later.
  Status drain_current() {
    struct stat st;
    if (::fstat(current_.get(), &st) == 0 &&
        static_cast<uint64_t>(st.st_size) < offset_ + carry_.size())
      rewind();  // truncated in place (max-file 1): its entries start again at 0
    if (!last_line_.empty()) {
      // Truncated and grown again past offset_: the line before offset_ is another one.
      std::string check(last_line_.size(), '\0');
      size_t n = BERTH_TRY(pread_some(current_.get(), check.data(), check.size(),
                                      static_cast<off_t>(offset_ - last_line_.size())));
      if (n != check.size() || check != last_line_) rewind();
    }
    char chunk[kChunk];
    while (!finished_) {
      size_t n = BERTH_TRY(pread_some(current_.get(), chunk, sizeof(chunk),
                                      static_cast<off_t>(offset_ + carry_.size())));
      if (n == 0) break;
      carry_.append(chunk, n);
      size_t used = BERTH_TRY(deliver_lines(carry_));
      if (used > 0) {
        size_t start = used >= 2 ? carry_.rfind('\n', used - 2) : std::string::npos;
        start = start == std::string::npos ? 0 : start + 1;
        last_line_.assign(carry_, start, used - start);
      }
      carry_.erase(0, used);
      offset_ += used;
    }
    return {};
  }

  void rewind() {
    offset_ = 0;
    carry_.clear();
    last_line_.clear();
  }

  // Calls line() for each complete line of fd's bytes [0, end), last first, until it returns
  // false; returns the offset after the last complete line.
  template <typename F>
  Result<uint64_t> scan_backward(int fd, uint64_t end, F&& line) {
    std::string buf;  // bytes [pos, pos + buf.size()) not yet handed out
    uint64_t pos = end;
    std::optional<uint64_t> boundary;
    std::string chunk(kChunk, '\0');
    while (true) {
      if (boundary) {
        size_t nl = buf.rfind('\n');
        if (nl != std::string::npos) {
          if (!BERTH_TRY(line(std::string_view(buf).substr(nl + 1)))) return *boundary;
          buf.resize(nl);
          continue;
        }
        if (pos == 0) {
          if (!buf.empty()) BERTH_TRY(line(std::string_view(buf)));
          return *boundary;
        }
      } else if (pos == 0) {
        return 0;
      }
      size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, pos));
      pos -= n;
      size_t got = 0;
      while (got < n) {
        size_t r =
            BERTH_TRY(pread_some(fd, chunk.data() + got, n - got, static_cast<off_t>(pos + got)));
        if (r == 0) return boundary.value_or(0);  // truncated meanwhile (max-file 1)
        got += r;
      }
      buf.insert(0, chunk.data(), n);
      if (!boundary) {
        size_t nl = buf.rfind('\n');
        if (nl == std::string::npos) {
          buf.clear();
        } else {
          boundary = pos + nl + 1;
          buf.resize(nl);
        }
      }
    }
  }

  // The last options_.tail entries selected, from the newest file backwards.
  Status read_tail(std::vector<unique_fd>& rotated) {
    size_t want = *options_.tail;
    std::vector<LogEntry> picked;  // newest first
    bool enough = want == 0;
    auto collect = [&](std::string_view line) -> Result<bool> {
      std::optional<timespec> t;
      auto entry = parse_entry(line, &t);
      if (!entry) return true;
      if (options_.until && compare_timespec(*t, *options_.until) >= 0) return true;
      if (options_.since && compare_timespec(*t, *options_.since) < 0) {
        enough = true;
        return false;
      }
      picked.push_back(std::move(*entry));
      if (picked.size() >= want) enough = true;
      return !enough;
    };
    if (current_) {
      struct stat st;
      if (::fstat(current_.get(), &st) != 0) return fail_sys("stat " + quote(path_));
      uint64_t end = static_cast<uint64_t>(st.st_size);
      if (enough) {
        offset_ = BERTH_TRY(scan_backward(current_.get(), end,
                                          [](std::string_view) -> Result<bool> { return false; }));
      } else {
        offset_ = BERTH_TRY(scan_backward(current_.get(), end, collect));
      }
    }
    for (auto it = rotated.rbegin(); it != rotated.rend() && !enough; ++it) {
      struct stat st;
      if (::fstat(it->get(), &st) != 0) return fail_sys("stat rotated log of " + quote(path_));
      BERTH_TRY(scan_backward(it->get(), static_cast<uint64_t>(st.st_size), collect));
    }
    for (auto it = picked.rbegin(); it != picked.rend(); ++it) BERTH_CHECK(on_entry_(*it));
    return {};
  }

  Status watch() {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return fail_sys("inotify_init1");
    inotify_.reset(fd);
    std::string dir = fs::dirname(path_);
    uint32_t mask = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB;
    if (::inotify_add_watch(inotify_.get(), dir.c_str(), mask) < 0)
      return fail_sys("watch " + quote(dir));
    return {};
  }

  // Opens the file that followed prev_id_, which rotation renamed away from path; current_ stays
  // unset while that file is not yet created.
  Status open_successor() {
    for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
      std::optional<int> found;
      for (int n : BERTH_TRY(rotated_numbers(path_))) {
        if (id_of_path(path_ + "." + std::to_string(n)) == prev_id_) {
          found = n;
          break;
        }
      }
      // A listing may miss a name renamed meanwhile: look again before giving up.
      if (!found && attempt < 3) continue;
      if (!found) break;
      std::string next = *found == 1 ? path_ : path_ + "." + std::to_string(*found - 1);
      unique_fd fd = BERTH_TRY(open_if_exists(next));
      // Valid only when the previous file did not move on meanwhile (rotation renames a file
      // before its successor).
      if (id_of_path(path_ + "." + std::to_string(*found)) != prev_id_) continue;
      if (!fd) return {};
      current_ = std::move(fd);
      prev_id_.reset();
      rewind();
      return {};
    }
    // Removed already (max-file): continue with the newest.
    current_ = BERTH_TRY(open_if_exists(path_));
    prev_id_.reset();
    rewind();
    return {};
  }

  // Reads all there is, through rotations, up to the end of the current file.
  Status drain_all() {
    while (!finished_) {
      if (!current_ && prev_id_) {
        BERTH_CHECK(open_successor());
        if (!current_) return {};
      } else if (!current_) {
        // There was no log yet: all there is now is new.
        for (auto& fd : BERTH_TRY(open_files())) {
          BERTH_CHECK(read_whole(fd.get()));
          if (finished_) return {};
        }
        if (!current_) return {};
      }
      BERTH_CHECK(drain_current());
      if (finished_) return {};
      if (id_of_path(path_) == id_of_fd(current_.get())) return {};
      // Rotated away: all it got was written before its rename, which came before our stat.
      BERTH_CHECK(drain_current());
      prev_id_ = id_of_fd(current_.get());
      current_.reset();
    }
    return {};
  }

  int wait_ms() const {
    int ms = kRecheckMs;
    if (options_.until) {
      struct timespec now;
      ::clock_gettime(CLOCK_REALTIME, &now);
      int64_t left = (static_cast<int64_t>(options_.until->tv_sec) - now.tv_sec) * 1000 +
                     (options_.until->tv_nsec - now.tv_nsec) / 1000000 + 1;
      ms = static_cast<int>(std::clamp<int64_t>(left, 0, ms));
    }
    return ms;
  }

  bool until_passed() const {
    if (!options_.until) return false;
    struct timespec now;
    ::clock_gettime(CLOCK_REALTIME, &now);
    return compare_timespec(now, *options_.until) >= 0;
  }

  Status follow() {
    int wake_fd = options_.wake_fd;
    while (true) {
      bool stopped = options_.stopped && options_.stopped();
      BERTH_CHECK(drain_all());
      if (finished_ || stopped || until_passed()) return {};
      struct pollfd fds[2] = {{inotify_.get(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
      int n = ::poll(fds, wake_fd >= 0 ? 2 : 1, wait_ms());
      if (n < 0 && errno != EINTR) return fail_sys("poll log " + quote(path_));
      if (n > 0 && (fds[0].revents & POLLIN)) {
        alignas(struct inotify_event) char events[4096];
        while (::read(inotify_.get(), events, sizeof(events)) > 0) {
        }
      }
      // A wake fd stays readable once it fired (a pidfd after the exit): ask stopped() once,
      // then rely on the log's changes and the periodic check.
      if (n > 0 && wake_fd >= 0 && fds[1].revents != 0) wake_fd = -1;
    }
  }

  const std::string& path_;
  const LogReadOptions& options_;
  const LogCallback& on_entry_;
  unique_fd inotify_;
  unique_fd current_;
  std::optional<FileId> prev_id_;  // the file current_ follows, while it is not open yet
  uint64_t offset_ = 0;            // in current_, after the last complete line delivered
  std::string carry_;              // bytes after offset_ read already: an unfinished line
  std::string last_line_;          // the line that ends at offset_, when it was read
  bool finished_ = false;
};

}  // namespace

Status read_logs(const std::string& path, const LogReadOptions& options,
                 const LogCallback& on_entry) {
  LogReader reader(path, options, on_entry);
  return reader.run();
}

std::optional<size_t> parse_log_tail(std::string_view value) {
  size_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return n;
}

}  // namespace berth::engine
