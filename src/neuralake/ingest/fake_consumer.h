// An in-memory Consumer for tests: a FakeBroker holds the partitions of topics (messages appended
// with Produce) and the group's committed offsets; a FakeConsumer is one member reading them,
// driven by a script of rebalances, redeliveries, errors and test callbacks, each run once this
// member has delivered a given number of messages. Everything happens inside Poll on the caller's
// thread, so a test is deterministic: no sleeps decide an interleaving.
//
// What the script can do (all `At(delivered, ...)` steps run in the order they were added, at the
// first Poll after `delivered` messages; several may run in one Poll):
//   AssignAt / RevokeAt   a rebalance: OnAssign (start offsets chosen by the listener, recorded in
//                         assignments()) or OnRevoke (`lost` as with an expired session);
//   RedeliverAt           the partition's position moves back, so offsets already delivered come
//                         again (librdkafka refetching after a rebalance or a retried fetch);
//   FailAt / WarnAt       a fatal error from Poll, or a transient warning event;
//   CallAt                any test code (produce more, run another member, set a stop flag).
// Without a script step for it, the first Poll after Subscribe assigns every partition of the
// topic (or the `initial_assignment`); a topic without partitions gives kTopicMissing events.
// A partition that reaches its end gives one kPartitionEnd event until more is delivered.
//
// Thread safety: FakeBroker is thread-safe (members may run on several threads); a FakeConsumer
// is used by one thread at a time, as every Consumer.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "neuralake/ingest/consumer.h"

namespace neuralake::ingest {

class FakeBroker {
 public:
  struct Record {
    std::string key;
    std::string payload;
    int64_t timestamp_ms = -1;
  };

  // Creates `topic` with `partitions` empty partitions (more are added when asked for more).
  void CreateTopic(const std::string& topic, int32_t partitions);
  // Appends a message; returns its offset.
  int64_t Produce(const std::string& topic, int32_t partition, std::string payload,
                  std::string key = "", int64_t timestamp_ms = -1);

  int32_t Partitions(const std::string& topic) const;
  // Offset of the next message to be produced (0 for an unknown partition).
  int64_t EndOffset(const std::string& topic, int32_t partition) const;
  std::optional<Record> Read(const std::string& topic, int32_t partition, int64_t offset) const;

  // The group's committed offsets (next offset to consume), as members committed them.
  std::optional<int64_t> CommittedOffset(const std::string& topic, int32_t partition) const;
  void SetCommittedOffset(const std::string& topic, int32_t partition, int64_t offset);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::vector<Record>>> topics_;
  std::map<std::pair<std::string, int32_t>, int64_t> committed_;
};

struct FakeConsumerOptions {
  // Partitions assigned at the first Poll; nullopt: every partition of the topic.
  std::optional<std::vector<int32_t>> initial_assignment;
  // False: CommitOffsets is dropped (a member that crashed after its Delta commit, before its
  // Kafka commit landed).
  bool commit_offsets = true;
};

class FakeConsumer final : public Consumer {
 public:
  explicit FakeConsumer(FakeBroker* broker, FakeConsumerOptions options = {});

  // Script steps (see the file comment).
  void AssignAt(int64_t delivered, std::vector<int32_t> partitions);
  void RevokeAt(int64_t delivered, std::vector<int32_t> partitions, bool lost = false);
  void RedeliverAt(int64_t delivered, int32_t partition, int64_t offset);
  void FailAt(int64_t delivered, Status error);
  void WarnAt(int64_t delivered, std::string text);
  void CallAt(int64_t delivered, std::function<void()> step);

  // Consumer.
  Status Subscribe(const std::string& topic, RebalanceListener* listener) override;
  Result<ConsumerEvent> Poll(std::chrono::milliseconds timeout) override;
  Status Pause(const std::vector<int32_t>& partitions) override;
  Status Resume(const std::vector<int32_t>& partitions) override;
  Status Seek(int32_t partition, int64_t offset) override;
  void CommitOffsets(const std::map<int32_t, int64_t>& next_offsets) override;
  std::optional<Watermarks> GetWatermarks(int32_t partition) override;
  Status Close() override;

  // What happened, for assertions.
  int64_t delivered() const { return delivered_; }
  // Every assignment: the partitions and the start offsets the listener chose.
  const std::vector<PartitionOffset>& assignments() const { return assignments_; }
  const std::set<int32_t>& owned() const { return owned_; }
  bool closed() const { return closed_; }

 private:
  struct Step {
    int64_t delivered;
    std::function<Status(ConsumerEvent*)> run;  // may fill an event to return from Poll
  };
  struct Position {
    int64_t next = 0;
    bool paused = false;
    bool end_reported = false;
  };
  Status DoAssign(const std::vector<int32_t>& partitions);
  Status DoRevoke(const std::vector<int32_t>& partitions, bool lost);
  std::optional<ConsumerEvent> NextMessage();

  FakeBroker* broker_;
  FakeConsumerOptions options_;
  std::string topic_;
  RebalanceListener* listener_ = nullptr;
  bool subscribed_ = false;
  bool initial_done_ = false;
  bool closed_ = false;
  std::vector<Step> steps_;
  size_t next_step_ = 0;
  std::set<int32_t> owned_;
  std::map<int32_t, Position> positions_;
  int32_t round_robin_ = 0;
  int64_t delivered_ = 0;
  std::vector<PartitionOffset> assignments_;
  FakeBroker::Record current_;  // the last delivered record (the event's views point into it)
};

}  // namespace neuralake::ingest
