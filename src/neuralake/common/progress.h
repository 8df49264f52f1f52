// Progress: rows, bytes, rate and ETA for long work, on stderr.
//
// On a terminal one line is redrawn in place (carriage return) at most every 200 ms; otherwise a
// plain line is printed every `interval` seconds, so CI logs stay readable. Finish() prints the
// summary line. Update() may be called from one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace neuralake {

class Progress {
 public:
  Progress(std::ostream* out, std::string what, int64_t total_rows, bool is_terminal,
           double interval_seconds = 5.0);

  void Update(int64_t rows, int64_t bytes, int64_t files = 0, int64_t commits = 0);
  void Finish();
  double ElapsedSeconds() const;

  static std::string FormatBytes(double bytes);
  static std::string FormatCount(double count);

 private:
  std::string Line() const;

  std::ostream* out_;
  std::string what_;
  int64_t total_rows_;
  bool is_terminal_;
  double interval_seconds_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
  int64_t rows_ = 0, bytes_ = 0, files_ = 0, commits_ = 0;
};

}  // namespace neuralake
