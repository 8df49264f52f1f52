// The librdkafka Consumer: a group member with manual offsets (the ingestor chooses where each
// assigned partition starts), partition-EOF events, eager or cooperative rebalances, and static
// membership when `member` is set. librdkafka's errors are translated here and nowhere else.
//
// Thread safety: as Consumer (one thread at a time); librdkafka runs its own threads inside.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "neuralake/common/result.h"
#include "neuralake/ingest/consumer.h"

namespace neuralake::ingest {

struct KafkaConsumerOptions {
  std::string brokers = "127.0.0.1:9092";
  std::string group;
  std::string member;  // group.instance.id (static membership); empty: dynamic
  // librdkafka settings applied over ours; one it refuses is Invalid ("--kafka-option KEY: ...").
  std::map<std::string, std::string> settings;
};

// Creates the client (no group join before Subscribe). Settings are checked here, so a typo is
// reported before the caller creates anything.
Result<std::unique_ptr<Consumer>> MakeKafkaConsumer(const KafkaConsumerOptions& options);

}  // namespace neuralake::ingest
