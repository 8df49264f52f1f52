// Exactly-once ingestion against a scripted FakeConsumer and local-file Delta tables: messages
// delivered twice land once, a restart resumes from the table's txn offsets (never the group's
// Kafka offsets), a revoked or lost partition is not duplicated by its next owner, and a failed
// Delta commit leaves no rows and its messages are consumed again. No broker, no object store
// server.
#include "neuralake/ingest/ingestor.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "neuralake/delta/table.h"
#include "neuralake/delta/test_support.h"
#include "neuralake/engine/engine.h"
#include "neuralake/ingest/fake_consumer.h"
#include "neuralake/storage/faulty_object_store.h"
#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::ingest {
namespace {

constexpr const char* kTopic = "events";
constexpr const char* kGroup = "bronze";

class IngestorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / testing::UniqueName("ingestor-test");
    std::filesystem::create_directories(dir_);
    spec_ = (dir_ / "items.yaml").string();
    std::ofstream(spec_) << "name: items\n"
                            "fields:\n"
                            "  - {name: id, generator: sequence, start: 0}\n"
                            "  - {name: body, generator: lorem, words: 3}\n";
    table_uri_ = (dir_ / "bronze").string();
    broker_.CreateTopic(kTopic, 2);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `count` messages on `partition`, ids numbered from `first_id`.
  void Produce(int32_t partition, int count, int first_id) {
    for (int i = 0; i < count; ++i) {
      broker_.Produce(kTopic, partition,
                      "{\"id\": " + std::to_string(first_id + i) + ", \"body\": \"b\"}");
    }
  }

  // Flushes only when caught up, on a rebalance or at shutdown (never on a timer), and stops once
  // every owned partition is consumed.
  IngestOptions Options() {
    IngestOptions options;
    options.topic = kTopic;
    options.group = kGroup;
    options.table_uri = table_uri_;
    options.schema = spec_;
    options.max_latency_s = 3600;
    options.stop_at_end = true;
    options.status_interval_s = 0;
    options.log = &log_;
    return options;
  }

  IngestSummary Run(FakeConsumer& consumer, IngestOptions options) {
    auto summary = RunIngest(options, consumer);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString() << "\nlog:\n" << log_.str();
    return summary.ok() ? *summary : IngestSummary{};
  }
  IngestSummary Run(FakeConsumer& consumer) { return Run(consumer, Options()); }

  std::unique_ptr<delta::DeltaTable> OpenTable() {
    auto table = delta::DeltaTable::Open(table_uri_);
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    return table.ok() ? std::move(*table) : nullptr;
  }

  // (partition, offset) -> how many rows carry it; ids -> how many rows carry them.
  struct Contents {
    std::map<std::pair<int32_t, int64_t>, int> positions;
    std::map<int64_t, int> ids;
    int64_t rows = 0;
  };
  Contents Read() {
    Contents contents;
    auto table = OpenTable();
    if (table == nullptr) return contents;
    auto snapshot = table->LoadSnapshot();
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    if (!snapshot.ok()) return contents;
    auto scan = delta::ScanSnapshot(*table, **snapshot);
    EXPECT_TRUE(scan.ok()) << scan.status().ToString();
    auto engine = table->GetEngine();
    EXPECT_TRUE(engine.ok());
    if (!scan.ok() || !engine.ok()) return contents;
    auto result = (*engine)->Query("SELECT _kafka_partition, _kafka_offset, id FROM (" +
                                   scan->sql + ")");
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) return contents;
    for (const auto& row : result->rows) {
      contents.positions[{std::stoi(*row[0]), std::stoll(*row[1])}]++;
      contents.ids[std::stoll(*row[2])]++;
      ++contents.rows;
    }
    return contents;
  }

  // The offset the table's txn records for a partition.
  std::optional<int64_t> Recorded(int32_t partition) {
    auto table = OpenTable();
    auto snapshot = table->LoadSnapshot();
    EXPECT_TRUE(snapshot.ok());
    return (*snapshot)->AppTransactionVersion(AppIdFor(kGroup, kTopic, partition));
  }

  // Every produced message (partitions 0 and 1, offsets below `ends`) is in the table once.
  void ExpectEachOnce(const std::map<int32_t, int64_t>& ends) {
    Contents contents = Read();
    int64_t expected = 0;
    for (const auto& [partition, end] : ends) {
      expected += end;
      for (int64_t offset = 0; offset < end; ++offset) {
        EXPECT_EQ(contents.positions[std::make_pair(partition, offset)], 1)
            << "partition " << partition << " offset " << offset;
      }
      EXPECT_EQ(Recorded(partition), end - 1) << "partition " << partition;
    }
    EXPECT_EQ(contents.rows, expected);
    for (const auto& [id, count] : contents.ids) EXPECT_EQ(count, 1) << "id " << id;
  }

  std::filesystem::path dir_;
  std::string spec_;
  std::string table_uri_;
  FakeBroker broker_;
  std::ostringstream log_;
};

TEST_F(IngestorTest, IngestsEveryMessageOnceAndRecordsOffsetsPerPartition) {
  Produce(0, 10, 0);
  Produce(1, 7, 100);
  FakeConsumer consumer(&broker_);
  IngestSummary summary = Run(consumer);
  EXPECT_EQ(summary.messages, 17);
  EXPECT_EQ(summary.rows, 17);
  EXPECT_EQ(summary.commits, 1);
  EXPECT_EQ(summary.dropped_duplicates, 0);
  ExpectEachOnce({{0, 10}, {1, 7}});
  // The group's offsets follow (for lag tools), and the member left the group.
  EXPECT_EQ(broker_.CommittedOffset(kTopic, 0), 10);
  EXPECT_EQ(broker_.CommittedOffset(kTopic, 1), 7);
  EXPECT_TRUE(consumer.closed());
}

// (1) Messages delivered twice: redelivered after a rebalance, they reach a commit and are
// dropped against the table's offsets; redelivered within one assignment, they are not even
// buffered again.
TEST_F(IngestorTest, RedeliveryAfterARebalanceAppearsOnce) {
  Produce(0, 10, 0);
  Produce(1, 10, 100);
  FakeConsumer consumer(&broker_);
  consumer.RevokeAt(6, {0, 1});  // commits the 6 buffered messages
  consumer.AssignAt(6, {0, 1});  // starts after the table's offsets ...
  consumer.RedeliverAt(6, 0, 0);  // ... but the fetcher hands out old messages again
  consumer.RedeliverAt(6, 1, 0);
  IngestSummary summary = Run(consumer);
  EXPECT_EQ(summary.messages, 26);
  EXPECT_EQ(summary.dropped_duplicates, 6);
  EXPECT_EQ(summary.rows, 20);
  ExpectEachOnce({{0, 10}, {1, 10}});
  // The second assignment started where the first commit ended.
  ASSERT_EQ(consumer.assignments().size(), 4u);
  EXPECT_EQ(consumer.assignments()[2].offset, 3);
  EXPECT_EQ(consumer.assignments()[3].offset, 3);
}

TEST_F(IngestorTest, RedeliveryWithinAnAssignmentIsIgnored) {
  Produce(0, 10, 0);
  Produce(1, 10, 100);
  FakeConsumer consumer(&broker_);
  consumer.RedeliverAt(8, 0, 1);
  consumer.RedeliverAt(12, 1, 0);
  IngestSummary summary = Run(consumer);
  EXPECT_GT(consumer.delivered(), 20);
  EXPECT_EQ(summary.rows, 20);
  ExpectEachOnce({{0, 10}, {1, 10}});
}

// (1) A member that crashed after its Delta commit but before its Kafka commit: the group's
// offsets say nothing was consumed, the restarted member still adds only the new messages.
TEST_F(IngestorTest, CommitWithoutKafkaOffsetsIsNotIngestedAgain) {
  Produce(0, 10, 0);
  Produce(1, 10, 100);
  FakeConsumerOptions crashed;
  crashed.commit_offsets = false;
  FakeConsumer first(&broker_, crashed);
  EXPECT_EQ(Run(first).rows, 20);
  EXPECT_EQ(broker_.CommittedOffset(kTopic, 0), std::nullopt);

  Produce(0, 5, 1000);
  FakeConsumer restarted(&broker_);
  IngestSummary summary = Run(restarted);
  EXPECT_EQ(summary.messages, 5);
  EXPECT_EQ(summary.rows, 5);
  ExpectEachOnce({{0, 15}, {1, 10}});
}

// (2) A restart starts every partition after the table's txn offset, whatever the group's
// committed offsets say (here one behind the table, one ahead of everything).
TEST_F(IngestorTest, RestartResumesFromTheTableNotFromKafkaOffsets) {
  Produce(0, 10, 0);
  Produce(1, 10, 100);
  FakeConsumer first(&broker_);
  Run(first);
  broker_.SetCommittedOffset(kTopic, 0, 0);
  broker_.SetCommittedOffset(kTopic, 1, 1000);
  Produce(0, 3, 1000);
  Produce(1, 3, 2000);

  FakeConsumer restarted(&broker_);
  IngestSummary summary = Run(restarted);
  ASSERT_EQ(restarted.assignments().size(), 2u);
  EXPECT_EQ(restarted.assignments()[0].offset, 10);
  EXPECT_EQ(restarted.assignments()[1].offset, 10);
  EXPECT_EQ(summary.messages, 6);
  EXPECT_EQ(summary.rows, 6);
  ExpectEachOnce({{0, 13}, {1, 13}});
  EXPECT_NE(log_.str().find("assigned partitions 0@10 1@10 (offsets from the Delta table)"),
            std::string::npos)
      << log_.str();
}

// The data-quality gate: rows it drops land once in the quarantine table (with the expectation's
// name), the rest once in the data table, and the data table's offsets cover both, also when
// messages are redelivered after a rebalance.
TEST_F(IngestorTest, QualityGateQuarantinesDroppedRowsExactlyOnce) {
  Produce(0, 10, 0);
  Produce(1, 10, 100);
  IngestOptions options = Options();
  std::atomic<int> checks{0};
  options.check_rows = [&checks](const engine::ColumnBatch& rows) -> Result<RowsVerdict> {
    ++checks;
    RowsVerdict verdict;
    const engine::ColumnData* id = nullptr;
    for (const auto& column : rows.columns) {
      if (column.name == "id") id = &column;
    }
    if (id == nullptr) return Status::Internal("no id column");
    for (int64_t row = 0; row < rows.num_rows; ++row) {
      verdict.dropped_by.push_back(id->ints[row] % 3 == 0 ? "id_not_multiple_of_3" : "");
    }
    return verdict;
  };
  FakeConsumer consumer(&broker_);
  consumer.RevokeAt(6, {0, 1});
  consumer.AssignAt(6, {0, 1});
  consumer.RedeliverAt(6, 0, 0);
  consumer.RedeliverAt(6, 1, 0);
  IngestSummary summary = Run(consumer, options);
  EXPECT_GE(checks.load(), 2);
  // ids 0..9 and 100..109: multiples of 3 are 0, 3, 6, 9, 102, 105, 108.
  EXPECT_EQ(summary.quarantined, 7);
  EXPECT_EQ(summary.rows, 13);
  Contents contents = Read();
  EXPECT_EQ(contents.rows, 13);
  for (const auto& [id, count] : contents.ids) {
    EXPECT_NE(id % 3, 0) << id;
    EXPECT_EQ(count, 1) << id;
  }
  EXPECT_EQ(Recorded(0), 9);
  EXPECT_EQ(Recorded(1), 9);
  auto quarantine = delta::DeltaTable::Open(table_uri_ + "_quarantine");
  ASSERT_TRUE(quarantine.ok());
  auto snapshot = (*quarantine)->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  auto scan = delta::ScanSnapshot(**quarantine, **snapshot);
  ASSERT_TRUE(scan.ok());
  auto engine = (*quarantine)->GetEngine();
  auto result = (*engine)->Query("SELECT string_agg(CAST(id AS VARCHAR), ',' ORDER BY id), "
                                 "count(DISTINCT _expectation), min(_expectation) FROM (" +
                                 scan->sql + ")");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->rows[0][0], "0,3,6,9,102,105,108");
  EXPECT_EQ(result->rows[0][2], "id_not_multiple_of_3");
}

TEST_F(IngestorTest, QualityGateFailureCommitsNothing) {
  Produce(0, 5, 0);
  IngestOptions options = Options();
  options.check_rows = [](const engine::ColumnBatch&) -> Result<RowsVerdict> {
    RowsVerdict verdict;
    verdict.failure = "expectation 'x' (not_null, fail) violated by 1 of 5 rows";
    return verdict;
  };
  FakeConsumer consumer(&broker_);
  auto summary = RunIngest(options, consumer);
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.status().ToString().find("expectation 'x'"), std::string::npos);
  EXPECT_EQ(Read().rows, 0);
  EXPECT_EQ(Recorded(0), std::nullopt);
}

// (3) An orderly revocation: the old owner commits what it buffered before letting the
// partition go, and the new owner starts right after it.
TEST_F(IngestorTest, RevokedPartitionIsCommittedBeforeTheNewOwnerStarts) {
  Produce(0, 10, 0);
  Produce(1, 10, 100);
  FakeConsumer member_a(&broker_);
  IngestSummary summary_b;
  int64_t b_started_at = -1;
  member_a.RevokeAt(7, {1});
  member_a.CallAt(7, [&] {
    // Member B takes partition 1 while A keeps partition 0.
    std::optional<int64_t> recorded = Recorded(1);
    EXPECT_TRUE(recorded.has_value());  // A committed its partition-1 rows on revocation
    FakeConsumerOptions only_one;
    only_one.initial_assignment = std::vector<int32_t>{1};
    FakeConsumer member_b(&broker_, only_one);
    summary_b = Run(member_b);
    b_started_at = member_b.assignments().at(0).offset;
    EXPECT_EQ(b_started_at, recorded.value_or(-2) + 1);
  });
  IngestSummary summary_a = Run(member_a);
  EXPECT_GT(b_started_at, 0);
  EXPECT_EQ(summary_a.dropped_duplicates + summary_b.dropped_duplicates, 0);
  EXPECT_EQ(summary_a.rows + summary_b.rows, 20);
  ExpectEachOnce({{0, 10}, {1, 10}});
}

// (3) A lost partition: the group gave it to member B (A's session expired) while A still held
// rows of it; B commits them first, so A's late commit drops them instead of duplicating.
TEST_F(IngestorTest, LostPartitionBufferedRowsAreDroppedNotDuplicated) {
  Produce(0, 10, 0);
  Produce(1, 10, 100);
  FakeConsumer member_a(&broker_);
  IngestSummary summary_b;
  member_a.CallAt(7, [&] {
    FakeConsumerOptions only_one;
    only_one.initial_assignment = std::vector<int32_t>{1};
    FakeConsumer member_b(&broker_, only_one);
    summary_b = Run(member_b);  // nothing of partition 1 is in the table yet: B takes it all
  });
  member_a.RevokeAt(7, {1}, /*lost=*/true);
  IngestSummary summary_a = Run(member_a);
  EXPECT_EQ(summary_b.rows, 10);
  EXPECT_GT(summary_a.dropped_duplicates, 0);  // A's buffered partition-1 rows
  EXPECT_EQ(summary_a.rows, 10);               // all of partition 0
  ExpectEachOnce({{0, 10}, {1, 10}});
  EXPECT_NE(log_.str().find("released partitions 1 (lost: session timed out)"), std::string::npos);
}

// A fault policy failing every PutIfAbsent of the table's first data commit with `status`
// (`times` times; 0: always).
storage::FaultPolicy FailFirstDataCommit(Status status, int times) {
  auto failures = std::make_shared<int>(0);
  return [=](storage::StoreOperation operation, std::string_view key) {
    if (operation == storage::StoreOperation::kPutIfAbsent &&
        key.find("_delta_log/00000000000000000001.json") != std::string_view::npos &&
        (times == 0 || *failures < times)) {
      ++*failures;
      return status;
    }
    return Status::OK();
  };
}

std::shared_ptr<storage::ObjectStore> FaultyStoreAt(const std::string& uri,
                                                    storage::FaultPolicy policy) {
  auto local = storage::OpenObjectStore(uri, storage::StorageOptions());
  EXPECT_TRUE(local.ok()) << local.status().ToString();
  return std::make_shared<storage::FaultyObjectStore>(
      std::shared_ptr<storage::ObjectStore>(std::move(*local)), std::move(policy));
}

// (4) A commit that fails for good: the member stops with the error, the table holds no row and
// no offset, and a restarted member consumes every message again, once.
TEST_F(IngestorTest, FailedCommitLeavesNoRowsAndMessagesAreConsumedAgain) {
  Produce(0, 10, 0);
  Produce(1, 10, 100);
  IngestOptions options = Options();
  options.table_store =
      FaultyStoreAt(table_uri_, FailFirstDataCommit(Status::Internal("disk on fire"), 0));
  FakeConsumer first(&broker_);
  auto failed = RunIngest(options, first);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("disk on fire"), std::string::npos);
  EXPECT_EQ(Read().rows, 0);
  EXPECT_EQ(Recorded(0), std::nullopt);
  EXPECT_EQ(Recorded(1), std::nullopt);

  FakeConsumer restarted(&broker_);
  IngestSummary summary = Run(restarted);
  ASSERT_EQ(restarted.assignments().size(), 2u);
  EXPECT_EQ(restarted.assignments()[0].offset, kOffsetBeginning);
  EXPECT_EQ(summary.rows, 20);
  ExpectEachOnce({{0, 10}, {1, 10}});
}

// (4) A commit that fails transiently (I/O): the batch is kept and the commit retried; the
// failed attempt left no row behind.
TEST_F(IngestorTest, TransientCommitFailureIsRetriedWithTheSameBatch) {
  Produce(0, 10, 0);
  Produce(1, 10, 100);
  IngestOptions options = Options();
  options.table_store =
      FaultyStoreAt(table_uri_, FailFirstDataCommit(Status::IOError("store unreachable"), 1));
  FakeConsumer consumer(&broker_);
  IngestSummary summary = Run(consumer, options);
  EXPECT_EQ(summary.rows, 20);
  EXPECT_EQ(summary.commits, 1);
  EXPECT_NE(log_.str().find("store unreachable"), std::string::npos) << log_.str();
  ExpectEachOnce({{0, 10}, {1, 10}});
}

TEST_F(IngestorTest, FatalConsumerErrorNamesTheStaticMember) {
  Produce(0, 3, 0);
  FakeConsumer consumer(&broker_);
  consumer.FailAt(2, Status::Invalid("kafka: fenced"));
  IngestOptions options = Options();
  options.member = "ingest-1";
  auto result = RunIngest(options, consumer);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "kafka: fenced (does another ingest process use --member ingest-1?)");
  EXPECT_EQ(Read().rows, 0);  // nothing was due yet
}

TEST_F(IngestorTest, WaitsForATopicThatDoesNotExistYet) {
  FakeConsumer consumer(&broker_);
  std::atomic<bool> stop{false};
  IngestOptions options = Options();
  options.topic = "not-created";
  options.stop = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  auto summary = RunIngest(options, consumer);
  stopper.join();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->messages, 0);
  EXPECT_TRUE(consumer.owned().empty());
  EXPECT_NE(log_.str().find("topic not-created does not exist yet; waiting"), std::string::npos);
}

}  // namespace
}  // namespace neuralake::ingest
