// The writer, compactor and vacuumer services run in-process on local temp tables, without any
// server: run them together for a while, stop them with one StopFlag, and check the table.
#include <csignal>
#include <filesystem>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "neuralake/delta/scan_plan.h"
#include "neuralake/engine/lake_scan.h"
#include "neuralake/service/compactor_service.h"
#include "neuralake/service/stop_flag.h"
#include "neuralake/service/vacuumer_service.h"
#include "neuralake/service/writer_service.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::service {
namespace {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / testing::UniqueName("nl-service");
    table_ = Open();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<delta::DeltaTable> Open() {
    auto table = delta::DeltaTable::Open(dir_.string());
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    return table.ok() ? std::move(table).value() : nullptr;
  }

  // "rows distinct_event_ids" of the latest version, read through the scan plan (fails when a
  // referenced file is missing).
  std::string ReadLatest(delta::DeltaTable& table) {
    auto snapshot = table.LoadSnapshot();
    if (!snapshot.ok()) return "error: " + snapshot.status().ToString();
    auto plan = delta::BuildScanPlan(table, **snapshot);
    if (!plan.ok()) return "error: " + plan.status().ToString();
    engine::RegisteredScanPlan registered(std::move(plan).value());
    auto engine = table.GetEngine();
    if (!engine.ok()) return "error: " + engine.status().ToString();
    auto result = (*engine)->Query("SELECT count(*), count(DISTINCT event_id) FROM " +
                                   registered.Relation());
    if (!result.ok()) return "error: " + result.status().ToString();
    return *result->rows[0][0] + " " + *result->rows[0][1];
  }

  std::filesystem::path dir_;
  std::unique_ptr<delta::DeltaTable> table_;
};

WriterOptions SmallBatches() {
  WriterOptions options;
  options.rows_per_commit = 100;
  options.interval_ms = 0;
  return options;
}

TEST_F(ServiceTest, WriterAndCompactorRunTogetherUntilStopped) {
  std::vector<WriterEvent> events;
  auto writer = WriterService::Make(*table_, SmallBatches(),
                                    [&](const WriterEvent& event) { events.push_back(event); });
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  // The compactor opens its own DeltaTable, as a separate process would.
  auto compactor_table = Open();
  CompactorOptions compactor_options;
  compactor_options.interval_ms = 100;
  int64_t compacted_files = 0;
  int64_t failed_rounds = 0;
  CompactorService compactor(*compactor_table, compactor_options,
                             [&](int64_t, const Result<delta::OptimizeResult>& result) {
                               if (result.ok()) compacted_files += result->files_removed;
                               else ++failed_rounds;
                             });

  StopFlag stop;
  Result<WriterSummary> written = Status::Internal("not run");
  Result<int64_t> rounds = Status::Internal("not run");
  std::thread writer_thread([&] { written = (*writer)->Run(stop); });
  std::thread compactor_thread([&] { rounds = compactor.Run(stop); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop.Stop();
  writer_thread.join();
  compactor_thread.join();

  ASSERT_TRUE(written.ok()) << written.status().ToString();
  ASSERT_TRUE(rounds.ok()) << rounds.status().ToString();
  ASSERT_GE(written->commits, 2);
  EXPECT_EQ(written->next_batch, written->commits);
  EXPECT_GE(*rounds, 1);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().kind, WriterEvent::Kind::kResuming);
  EXPECT_EQ(events.back().kind, WriterEvent::Kind::kCommitted);
  EXPECT_EQ(events.back().commits, written->commits);
  // Every batch exactly once, whatever the compactor rewrote meanwhile.
  int64_t rows = written->commits * 100;
  EXPECT_EQ(ReadLatest(*table_), std::to_string(rows) + " " + std::to_string(rows));
  // A last round after the writer stopped compacts what is left into one file.
  CompactorOptions once;
  once.iterations = 1;
  ASSERT_TRUE(CompactorService(*compactor_table, once, nullptr).Run(StopFlag()).ok());
  auto snapshot = table_->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ((*snapshot)->files.size(), 1u);
  EXPECT_EQ(ReadLatest(*table_), std::to_string(rows) + " " + std::to_string(rows));
}

TEST_F(ServiceTest, RestartedWriterResumesAfterTheLastRecordedBatch) {
  WriterOptions options = SmallBatches();
  options.commits = 3;
  auto first = WriterService::Make(*table_, options, nullptr);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->Run(StopFlag()).ok());

  options.commits = 2;
  int64_t resumed_at = -1;
  auto restarted_table = Open();  // as a new process would
  auto second = WriterService::Make(*restarted_table, options, [&](const WriterEvent& event) {
    if (event.kind == WriterEvent::Kind::kResuming) resumed_at = event.batch;
  });
  ASSERT_TRUE(second.ok());
  auto summary = (*second)->Run(StopFlag());
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(resumed_at, 3);
  EXPECT_EQ(summary->next_batch, 5);
  EXPECT_EQ(ReadLatest(*table_), "500 500");
}

TEST_F(ServiceTest, StopWakesAWriterInItsPause) {
  WriterOptions options = SmallBatches();
  options.interval_ms = 60'000;
  auto writer = WriterService::Make(*table_, options, nullptr);
  ASSERT_TRUE(writer.ok());
  StopFlag stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.Stop();
  });
  auto started = std::chrono::steady_clock::now();
  auto summary = (*writer)->Run(stop);
  stopper.join();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->commits, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(ServiceTest, WriterRefusesBadOptions) {
  WriterOptions options = SmallBatches();
  options.rows_per_commit = 0;
  EXPECT_TRUE(WriterService::Make(*table_, options, nullptr).status().IsInvalid());
  options = SmallBatches();
  options.schema = "no-such-preset";
  EXPECT_FALSE(WriterService::Make(*table_, options, nullptr).ok());
}

TEST_F(ServiceTest, VacuumerRefusesShortRetentionBeforeAnyRound) {
  WriterOptions options = SmallBatches();
  options.commits = 1;
  ASSERT_TRUE((*WriterService::Make(*table_, options, nullptr))->Run(StopFlag()).ok());
  VacuumerOptions vacuumer_options;
  vacuumer_options.vacuum.retention_hours = 0;
  int64_t rounds = 0;
  VacuumerService vacuumer(*table_, vacuumer_options,
                           [&](int64_t, const Result<delta::VacuumResult>&) { ++rounds; });
  auto result = vacuumer.Run(StopFlag());
  EXPECT_TRUE(result.status().IsInvalid()) << result.status().ToString();
  EXPECT_EQ(rounds, 0);
}

TEST_F(ServiceTest, VacuumerDeletesWhatTheCompactorReplaced) {
  WriterOptions options = SmallBatches();
  options.commits = 4;
  ASSERT_TRUE((*WriterService::Make(*table_, options, nullptr))->Run(StopFlag()).ok());
  CompactorOptions compactor_options;
  compactor_options.iterations = 1;
  int64_t removed = 0;
  CompactorService compactor(*table_, compactor_options,
                             [&](int64_t, const Result<delta::OptimizeResult>& result) {
                               ASSERT_TRUE(result.ok()) << result.status().ToString();
                               removed = result->files_removed;
                             });
  ASSERT_TRUE(compactor.Run(StopFlag()).ok());
  ASSERT_EQ(removed, 4);
  // With retention 0 the four replaced files go (they are tombstones, not untracked files).
  VacuumerOptions vacuumer_options;
  vacuumer_options.vacuum.retention_hours = 0;
  vacuumer_options.vacuum.force_retention = true;
  vacuumer_options.iterations = 2;
  vacuumer_options.interval_ms = 0;
  std::vector<int64_t> deleted;
  VacuumerService vacuumer(*table_, vacuumer_options,
                           [&](int64_t, const Result<delta::VacuumResult>& result) {
                             ASSERT_TRUE(result.ok()) << result.status().ToString();
                             deleted.push_back(static_cast<int64_t>(result->deleted.size()));
                           });
  auto rounds = vacuumer.Run(StopFlag());
  ASSERT_TRUE(rounds.ok()) << rounds.status().ToString();
  EXPECT_EQ(*rounds, 2);
  EXPECT_EQ(deleted, (std::vector<int64_t>{4, 0}));
  EXPECT_EQ(ReadLatest(*table_), "400 400");
}

TEST(StopSignalsTest, SigtermStopsTheFlagOnlyWhileInScope) {
  StopFlag flag;
  auto before = std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGTERM, before);
  {
    ScopedStopSignals signals(flag);
    std::raise(SIGTERM);
    EXPECT_TRUE(flag.stopped());
    StopFlag other;
    {
      ScopedStopSignals inner(other);
      std::raise(SIGINT);
      EXPECT_TRUE(other.stopped());
    }
  }
  // The previous handler is back (SIGTERM might end the process): check without raising.
  auto after = std::signal(SIGTERM, before);
  EXPECT_EQ(after, before);
}

TEST(StopFlagTest, WaitForReturnsEarlyOnceStopped) {
  StopFlag flag;
  EXPECT_FALSE(flag.WaitFor(10));
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    flag.Stop();
  });
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(flag.WaitFor(60'000));
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

}  // namespace
}  // namespace neuralake::service
