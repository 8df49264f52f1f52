// Server metrics in the Prometheus text exposition format (GET /metrics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace neuralake::server {

class Metrics {
 public:
  // Latency buckets in seconds (upper bounds); the last is +Inf.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  void Request(int status, int64_t bytes, double seconds);
  void Rows(int64_t rows) { rows_ += rows; }

  // Gauges read when rendering: queue depth, open connections, snapshot cache figures.
  std::function<int64_t()> queue_depth;
  std::function<int64_t()> connections;
  std::function<std::string()> extra;  // more lines in the exposition format

  std::string Render() const;

 private:
  std::array<std::atomic<int64_t>, 6> by_class_{};  // 1xx..5xx, index 0 unused
  std::array<std::atomic<int64_t>, kBuckets.size() + 1> buckets_{};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> latency_micros_{0};
  std::atomic<int64_t> bytes_{0};
  std::atomic<int64_t> rows_{0};
};

}  // namespace neuralake::server
