#include "neuralake/server/metrics.h"

#include <cstdio>

namespace neuralake::server {

void Metrics::Request(int status, int64_t bytes, double seconds) {
  ++requests_;
  int klass = status / 100;
  if (klass >= 1 && klass <= 5) ++by_class_[static_cast<size_t>(klass)];
  bytes_ += bytes;
  latency_micros_ += static_cast<int64_t>(seconds * 1e6);
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  ++buckets_[bucket];
}

std::string Metrics::Render() const {
  std::string out;
  char line[160];
  out += "# HELP neuralake_http_requests_total HTTP requests answered, by status class.\n";
  out += "# TYPE neuralake_http_requests_total counter\n";
  for (int klass = 1; klass <= 5; ++klass) {
    std::snprintf(line, sizeof(line), "neuralake_http_requests_total{code=\"%dxx\"} %lld\n", klass,
                  static_cast<long long>(by_class_[static_cast<size_t>(klass)].load()));
    out += line;
  }
  out += "# HELP neuralake_http_request_duration_seconds Time from request read to response sent.\n";
  out += "# TYPE neuralake_http_request_duration_seconds histogram\n";
  int64_t cumulative = 0;
  for (size_t i = 0; i <= kBuckets.size(); ++i) {
    cumulative += buckets_[i].load();
    if (i < kBuckets.size()) {
      std::snprintf(line, sizeof(line),
                    "neuralake_http_request_duration_seconds_bucket{le=\"%g\"} %lld\n", kBuckets[i],
                    static_cast<long long>(cumulative));
    } else {
      std::snprintf(line, sizeof(line),
                    "neuralake_http_request_duration_seconds_bucket{le=\"+Inf\"} %lld\n",
                    static_cast<long long>(cumulative));
    }
    out += line;
  }
  std::snprintf(line, sizeof(line), "neuralake_http_request_duration_seconds_sum %.6f\n",
                static_cast<double>(latency_micros_.load()) / 1e6);
  out += line;
  std::snprintf(line, sizeof(line), "neuralake_http_request_duration_seconds_count %lld\n",
                static_cast<long long>(requests_.load()));
  out += line;
  auto single = [&out](const char* name, const char* type, const char* help, int64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(value) + "\n";
  };
  single("neuralake_http_errors_total", "counter", "Responses with a 4xx or 5xx status.",
         by_class_[4].load() + by_class_[5].load());
  single("neuralake_http_response_bytes_total", "counter", "Response body bytes sent.",
         bytes_.load());
  single("neuralake_rows_returned_total", "counter", "Result rows sent.", rows_.load());
  if (queue_depth) {
    single("neuralake_queue_depth", "gauge",
           "Requests waiting for or running on a query worker.", queue_depth());
  }
  if (connections) {
    single("neuralake_open_connections", "gauge", "Open client connections.", connections());
  }
  if (extra) out += extra();
  return out;
}

}  // namespace neuralake::server
