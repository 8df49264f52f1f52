// Consumer: one member of a Kafka consumer group, as the ingestor sees it.
//
// The ingestor (ingestor.h) needs little of Kafka: subscribe to one topic, poll messages with
// their partition, offset, timestamp, key and payload, be told when partitions are assigned (and
// choose where each starts: the table's offsets, never the group's) or revoked, commit the group's
// offsets for lag tools, read watermarks for its status line, and leave. This interface is that
// much, so that the exactly-once logic runs against librdkafka in production (kafka_consumer.h)
// and against a scripted in-memory fake in unit tests (fake_consumer.h).
//
// Rebalances are incremental whatever the group protocol: OnRevoke lists exactly the partitions
// this member gives up, OnAssign exactly those it gains. Both are called from inside Poll (or
// Close), on the polling thread, before the assignment changes: OnRevoke is where buffered rows
// are committed, OnAssign where start offsets are chosen. A listener error ends the member: Poll
// returns it.
//
// Thread safety: a Consumer is used by one thread at a time. The views of a polled message stay
// valid until the next Poll or Close.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neuralake/common/result.h"

namespace neuralake::ingest {

// A start offset meaning "the first message the broker still has".
inline constexpr int64_t kOffsetBeginning = -2;

struct PartitionOffset {
  int32_t partition = 0;
  int64_t offset = kOffsetBeginning;
};

struct ConsumerMessage {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = -1;  // the record's timestamp; < 0 when the broker gave none
  std::string_view key;
  std::string_view payload;
};

struct ConsumerEvent {
  enum class Kind {
    kNone,          // nothing arrived within the timeout
    kMessage,       // `message`
    kPartitionEnd,  // `message.partition` is caught up (the next offset is the end)
    kTopicMissing,  // the topic does not exist (yet); the consumer keeps waiting for it
    kWarning,       // transient trouble (`text`), retried by the consumer itself
  };
  Kind kind = Kind::kNone;
  ConsumerMessage message;
  std::string text;
};

struct Watermarks {
  int64_t low = 0;   // first offset the broker has
  int64_t high = 0;  // offset of the next message to be produced
};

// Told about partitions moving to or from this member; see the file comment.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // `partitions` arrive with offset kOffsetBeginning; set each to where consumption starts.
  virtual Status OnAssign(std::vector<PartitionOffset>& partitions) = 0;
  // `lost`: the group already gave them to another member (session timed out), so another
  // member may be consuming them now.
  virtual Status OnRevoke(const std::vector<int32_t>& partitions, bool lost) = 0;
};

class Consumer {
 public:
  virtual ~Consumer() = default;

  // Joins the group for `topic`; `listener` (borrowed, outlives the consumer's use) hears about
  // assignments from the next Poll on.
  virtual Status Subscribe(const std::string& topic, RebalanceListener* listener) = 0;

  // The next event. An error ends the member: a fatal Kafka error (Invalid, e.g. fenced by a
  // member with the same static name) or a rebalance listener's error.
  virtual Result<ConsumerEvent> Poll(std::chrono::milliseconds timeout) = 0;

  // Stops delivering the partitions' messages until Resume; their positions are kept.
  virtual Status Pause(const std::vector<int32_t>& partitions) = 0;
  virtual Status Resume(const std::vector<int32_t>& partitions) = 0;
  // The next message of an assigned partition will be the one at `offset`.
  virtual Status Seek(int32_t partition, int64_t offset) = 0;

  // Records the group's offsets (partition -> next offset to consume), asynchronously. For lag
  // tools only: the ingestor never reads them back.
  virtual void CommitOffsets(const std::map<int32_t, int64_t>& next_offsets) = 0;

  // Watermarks of a partition as last seen by the consumer (no broker round trip); nullopt when
  // not known yet.
  virtual std::optional<Watermarks> GetWatermarks(int32_t partition) = 0;

  // Revokes what this member owns (calling OnRevoke), then leaves the group.
  virtual Status Close() = 0;
};

}  // namespace neuralake::ingest
