#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "image/progress.hpp"

namespace berth::cli {

// Prints pull and push progress as docker does: on a terminal one line per layer, redrawn in
// place with a bar; otherwise one plain line per change of status (byte counts left out).
class ProgressPrinter : public image::Progress {
 public:
  explicit ProgressPrinter(FILE* out);
  void status(const std::string& id, const std::string& text) override;
  void bytes(const std::string& id, const std::string& action, uint64_t done,
             uint64_t total) override;

 private:
  struct Line {
    std::string id;
    std::string text;
  };
  void set_line(const std::string& id, const std::string& text, bool plain_too);

  FILE* out_;
  bool terminal_;
  std::mutex mutex_;
  std::vector<Line> lines_;  // layer lines, in the order they first appeared
};

// "[=====>        ]  1.23MB/4.56MB", docker's bar.
std::string progress_bar(uint64_t done, uint64_t total);

}  // namespace berth::cli
