#include "neuralake/common/progress.h"

#include <cstdio>

namespace neuralake {

Progress::Progress(std::ostream* out, std::string what, int64_t total_rows, bool is_terminal,
                   double interval_seconds)
    : out_(out), what_(std::move(what)), total_rows_(total_rows), is_terminal_(is_terminal),
      interval_seconds_(interval_seconds), start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

double Progress::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::FormatBytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 4) {
    bytes /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

std::string Progress::FormatCount(double count) {
  char text[32];
  if (count >= 1e9) std::snprintf(text, sizeof(text), "%.2fG", count / 1e9);
  else if (count >= 1e6) std::snprintf(text, sizeof(text), "%.2fM", count / 1e6);
  else if (count >= 1e4) std::snprintf(text, sizeof(text), "%.1fk", count / 1e3);
  else std::snprintf(text, sizeof(text), "%.0f", count);
  return text;
}

std::string Progress::Line() const {
  double elapsed = std::max(ElapsedSeconds(), 1e-6);
  std::string line = what_ + ": " + FormatCount(static_cast<double>(rows_));
  if (total_rows_ > 0) {
    char percent[16];
    std::snprintf(percent, sizeof(percent), " (%.0f%%)", 100.0 * rows_ / total_rows_);
    line += "/" + FormatCount(static_cast<double>(total_rows_)) + " rows" + percent;
  } else {
    line += " rows";
  }
  line += ", " + FormatBytes(static_cast<double>(bytes_)) + ", " +
          FormatCount(rows_ / elapsed) + " rows/s, " + FormatBytes(bytes_ / elapsed) + "/s";
  if (files_ > 0) line += ", " + std::to_string(files_) + " files";
  if (commits_ > 0) line += ", " + std::to_string(commits_) + " commits";
  if (total_rows_ > 0 && rows_ > 0 && rows_ < total_rows_) {
    char eta[32];
    std::snprintf(eta, sizeof(eta), ", ETA %.0f s", (total_rows_ - rows_) * elapsed / rows_);
    line += eta;
  }
  return line;
}

void Progress::Update(int64_t rows, int64_t bytes, int64_t files, int64_t commits) {
  rows_ = rows;
  bytes_ = bytes;
  files_ = files;
  commits_ = commits;
  if (out_ == nullptr) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_print_).count();
  if (is_terminal_ && since >= 0.2) {
    *out_ << "\r\033[K" << Line() << std::flush;
    last_print_ = now;
  } else if (!is_terminal_ && since >= interval_seconds_) {
    *out_ << Line() << "\n" << std::flush;
    last_print_ = now;
  }
}

void Progress::Finish() {
  if (out_ == nullptr) return;
  if (is_terminal_) *out_ << "\r\033[K";
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), " in %.2f s", ElapsedSeconds());
  *out_ << Line() << seconds << "\n" << std::flush;
}

}  // namespace neuralake
