#include "cli/berth/progress_printer.hpp"

#include <unistd.h>

#include <algorithm>

#include "cli/berth/human_units.hpp"

namespace berth::cli {

std::string progress_bar(uint64_t done, uint64_t total) {
  constexpr size_t kWidth = 50;
  if (total == 0) return human_size(done);
  size_t filled = static_cast<size_t>(std::min<uint64_t>(done, total) * kWidth / total);
  std::string bar(1, '[');
  bar.append(filled, '=');
  if (filled < kWidth) {
    bar += '>';
    bar.append(kWidth - filled - 1, ' ');
  }
  bar += "]  ";
  bar += human_size(done);
  bar += '/';
  bar += human_size(total);
  return bar;
}

ProgressPrinter::ProgressPrinter(FILE* out) : out_(out), terminal_(::isatty(fileno(out)) == 1) {}

void ProgressPrinter::set_line(const std::string& id, const std::string& text, bool plain_too) {
  std::lock_guard lock(mutex_);
  if (id.empty()) {
    std::fprintf(out_, "%s\n", text.c_str());
    std::fflush(out_);
    return;
  }
  auto it = std::find_if(lines_.begin(), lines_.end(), [&](const Line& l) { return l.id == id; });
  bool is_new = it == lines_.end();
  if (!terminal_) {
    bool changed = is_new || it->text != text;
    if (is_new)
      lines_.push_back({id, text});
    else
      it->text = text;
    if (changed && plain_too) std::fprintf(out_, "%s: %s\n", id.c_str(), text.c_str());
    std::fflush(out_);
    return;
  }
  if (is_new) {
    lines_.push_back({id, text});
    std::fprintf(out_, "%s: %s\n", id.c_str(), text.c_str());
  } else {
    it->text = text;
    size_t up = static_cast<size_t>(lines_.end() - it);
    std::fprintf(out_, "\033[%zuA\r\033[2K%s: %s\r\033[%zuB", up, id.c_str(), text.c_str(), up);
  }
  std::fflush(out_);
}

void ProgressPrinter::status(const std::string& id, const std::string& text) {
  set_line(id, text, true);
}

void ProgressPrinter::bytes(const std::string& id, const std::string& action, uint64_t done,
                            uint64_t total) {
  // Plain output shows that a layer started moving, not every chunk.
  set_line(id, terminal_ ? action + " " + progress_bar(done, total) : action, true);
}

}  // namespace berth::cli
