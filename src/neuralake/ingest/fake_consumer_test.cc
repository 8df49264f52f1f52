// The FakeConsumer's own contract, which the ingestor tests rely on: assignment through the
// listener, round-robin delivery, one end-of-partition event per catch-up, pause/resume/seek,
// scripted rebalances and redelivery, committed offsets kept in the broker.
#include "neuralake/ingest/fake_consumer.h"

#include <gtest/gtest.h>

namespace neuralake::ingest {
namespace {

// Starts partition 1 at offset 2, everything else at the beginning; records revocations.
class RecordingListener : public RebalanceListener {
 public:
  Status OnAssign(std::vector<PartitionOffset>& partitions) override {
    for (auto& partition : partitions) {
      if (partition.partition == 1) partition.offset = 2;
      assigned.push_back(partition.partition);
    }
    return Status::OK();
  }
  Status OnRevoke(const std::vector<int32_t>& partitions, bool lost) override {
    for (int32_t partition : partitions) revoked.push_back({partition, lost});
    return Status::OK();
  }
  std::vector<int32_t> assigned;
  std::vector<std::pair<int32_t, bool>> revoked;
};

// Polls until nothing is left; returns "p:o" of messages and "end p" of partition ends.
std::vector<std::string> Drain(FakeConsumer& consumer) {
  std::vector<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto event = consumer.Poll(std::chrono::milliseconds(0));
    EXPECT_TRUE(event.ok()) << event.status().ToString();
    if (!event.ok() || event->kind == ConsumerEvent::Kind::kNone) break;
    if (event->kind == ConsumerEvent::Kind::kMessage) {
      seen.push_back(std::to_string(event->message.partition) + ":" +
                     std::to_string(event->message.offset) + "=" +
                     std::string(event->message.payload));
    } else if (event->kind == ConsumerEvent::Kind::kPartitionEnd) {
      seen.push_back("end " + std::to_string(event->message.partition));
    }
  }
  return seen;
}

class FakeConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_.CreateTopic("t", 2);
    for (int i = 0; i < 3; ++i) {
      broker_.Produce("t", 0, "a" + std::to_string(i));
      broker_.Produce("t", 1, "b" + std::to_string(i));
    }
  }
  FakeBroker broker_;
  RecordingListener listener_;
};

TEST_F(FakeConsumerTest, AssignsEveryPartitionAtTheListenersOffsetsAndReportsEnds) {
  FakeConsumer consumer(&broker_);
  ASSERT_TRUE(consumer.Subscribe("t", &listener_).ok());
  EXPECT_EQ(Drain(consumer), (std::vector<std::string>{"0:0=a0", "1:2=b2", "0:1=a1", "0:2=a2",
                                                        "end 0", "end 1"}));
  EXPECT_EQ(listener_.assigned, (std::vector<int32_t>{0, 1}));
  broker_.Produce("t", 1, "b3");
  EXPECT_EQ(Drain(consumer), (std::vector<std::string>{"1:3=b3", "end 1"}));
  EXPECT_EQ(consumer.GetWatermarks(1)->high, 4);
  EXPECT_FALSE(consumer.GetWatermarks(5).has_value());
}

TEST_F(FakeConsumerTest, PauseResumeAndSeek) {
  FakeConsumerOptions options;
  options.initial_assignment = std::vector<int32_t>{0};
  FakeConsumer consumer(&broker_, options);
  ASSERT_TRUE(consumer.Subscribe("t", &listener_).ok());
  ASSERT_TRUE(consumer.Poll(std::chrono::milliseconds(0)).ok());  // assigns, delivers 0:0
  ASSERT_TRUE(consumer.Pause({0}).ok());
  EXPECT_TRUE(Drain(consumer).empty());
  ASSERT_TRUE(consumer.Resume({0}).ok());
  ASSERT_TRUE(consumer.Seek(0, 0).ok());
  EXPECT_EQ(Drain(consumer), (std::vector<std::string>{"0:0=a0", "0:1=a1", "0:2=a2", "end 0"}));
  EXPECT_FALSE(consumer.Seek(1, 0).ok());  // not owned
  EXPECT_FALSE(consumer.Pause({1}).ok());
}

TEST_F(FakeConsumerTest, ScriptedRebalanceRedeliveryAndErrors) {
  FakeConsumer consumer(&broker_);
  consumer.RevokeAt(1, {0}, /*lost=*/true);
  consumer.AssignAt(2, {0});
  consumer.RedeliverAt(3, 1, 2);
  consumer.FailAt(5, Status::Invalid("kafka: fenced"));
  ASSERT_TRUE(consumer.Subscribe("t", &listener_).ok());
  std::vector<std::string> seen;
  Status failure;
  for (int i = 0; i < 20 && failure.ok(); ++i) {
    auto event = consumer.Poll(std::chrono::milliseconds(0));
    if (!event.ok()) {
      failure = event.status();
    } else if (event->kind == ConsumerEvent::Kind::kMessage) {
      seen.push_back(std::to_string(event->message.partition) + ":" +
                     std::to_string(event->message.offset));
    }
  }
  // 0:0, then 0 is lost; 1:2 alone; 0 comes back from its beginning; 1 is rewound to 2.
  EXPECT_EQ(seen, (std::vector<std::string>{"0:0", "1:2", "0:0", "1:2", "0:1"}));
  EXPECT_EQ(listener_.revoked, (std::vector<std::pair<int32_t, bool>>{{0, true}}));
  EXPECT_EQ(failure.message(), "kafka: fenced");
}

TEST_F(FakeConsumerTest, CommitsGoToTheBrokerUnlessDroppedAndCloseRevokes) {
  FakeConsumer consumer(&broker_);
  ASSERT_TRUE(consumer.Subscribe("t", &listener_).ok());
  Drain(consumer);
  consumer.CommitOffsets({{0, 3}});
  EXPECT_EQ(broker_.CommittedOffset("t", 0), 3);
  FakeConsumerOptions crashed;
  crashed.commit_offsets = false;
  FakeConsumer other(&broker_, crashed);
  ASSERT_TRUE(other.Subscribe("t", nullptr).ok());
  other.CommitOffsets({{0, 1}});
  EXPECT_EQ(broker_.CommittedOffset("t", 0), 3);
  ASSERT_TRUE(consumer.Close().ok());
  EXPECT_TRUE(consumer.closed());
  EXPECT_EQ(listener_.revoked.size(), 2u);
  EXPECT_FALSE(consumer.Poll(std::chrono::milliseconds(0)).ok());
}

}  // namespace
}  // namespace neuralake::ingest
