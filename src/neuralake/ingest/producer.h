// A mock producer: rows of a generator dataset as JSON messages on a Kafka topic.
//
// Messages are JSON objects (one per row, same rendering as `neuralake generate --format json`),
// keyed by one column's value, produced with idempotence on (acks=all). `rate` caps messages per
// second (0 = as fast as possible). The same seed produces the same messages. With `from_file`,
// each line of the file is sent as is (no key): handy for hand-written or malformed messages.
#pragma once

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "neuralake/common/result.h"

namespace neuralake::ingest {

struct ProduceOptions {
  std::string brokers = "127.0.0.1:9092";
  std::string topic;
  std::string schema = "events";   // generator preset or spec file
  int64_t count = 0;               // messages to produce (> 0)
  double rate = 0;                 // messages per second; 0 = unlimited
  std::string key;                 // key column (default: the first column)
  uint64_t seed = 42;
  int64_t first_row = 0;           // row number of the first message (to continue a sequence)
  std::string from_file;           // instead of generated rows: each line of this file ('-' stdin)
  std::ostream* log = nullptr;     // progress and summary
  const std::atomic<bool>* stop = nullptr;
};

struct ProduceSummary {
  int64_t messages = 0;
  int64_t bytes = 0;
  double seconds = 0;
};

Result<ProduceSummary> Produce(const ProduceOptions& options);

}  // namespace neuralake::ingest
