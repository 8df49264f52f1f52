// VACUUM beside writers and compactors: the grace period of untracked files, the retention of
// tombstones, and the races in which a commit lands while VACUUM works. Whatever the retention,
// the latest version must stay readable.
#include "neuralake/delta/vacuum.h"

#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "neuralake/delta/optimize.h"
#include "neuralake/delta/test_support.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/delta/writer.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

std::string Rows(int64_t first, int64_t count, const std::string& partition) {
  return "SELECT range AS id, '" + partition + "' AS p FROM range(" + std::to_string(first) +
         ", " + std::to_string(first + count) + ")";
}

// Sets a file's modification time `hours` back.
void Age(const std::filesystem::path& path, double hours) {
  struct utimbuf times {};
  times.actime = times.modtime = time(nullptr) - static_cast<time_t>(hours * 3600);
  ASSERT_EQ(utime(path.c_str(), &times), 0) << path;
}

class VacuumTest : public ::testing::Test {
 protected:
  void SetUp() override { Open("memory://" + testing::UniqueName("vacuum") + "/t"); }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void Open(const std::string& uri) {
    auto table = DeltaTable::Open(uri);
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    table_ = std::move(table).value();
  }
  void OpenLocal() {
    dir_ = std::filesystem::temp_directory_path() / testing::UniqueName("nl-vacuum");
    Open(dir_.string());
  }

  // 2 partitions x `commits` appends of 100 rows each.
  void MakeTable(int commits) {
    CreateTableOptions create;
    create.source = DataSource::FromQuery(Rows(0, 100, "a"));
    create.partition_columns = {"p"};
    ASSERT_TRUE(CreateTable(*table_, create).ok());
    for (int i = 1; i < commits * 2; ++i) {
      AppendRows(100, i % 2 ? "b" : "a");
    }
  }
  void AppendRows(int64_t count, const std::string& partition) {
    auto appended = Append(*table_, DataSource::FromQuery(Rows(rows_, count, partition)));
    ASSERT_TRUE(appended.ok()) << appended.status().ToString();
    rows_ += count;
  }

  // "count distinct" of the latest version, read from the store: fails if a file is missing.
  std::string ReadLatest() {
    auto snapshot = table_->LoadSnapshot();
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    if (!snapshot.ok()) return "";
    auto sql = ScanSnapshot(*table_, **snapshot);
    EXPECT_TRUE(sql.ok()) << sql.status().ToString();
    auto engine = table_->GetEngine();
    auto result = (*engine)->Query("SELECT count(*), count(DISTINCT id) FROM (" + sql->sql + ")");
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) return "error: " + result.status().ToString();
    return *result->rows[0][0] + " " + *result->rows[0][1];
  }
  std::string Expected() const { return std::to_string(rows_) + " " + std::to_string(rows_); }

  static VacuumOptions RetentionZero() {
    VacuumOptions options;
    options.retention_hours = 0;
    options.force_retention = true;
    return options;
  }

  std::filesystem::path dir_;
  std::unique_ptr<DeltaTable> table_;
  int64_t rows_ = 100;
};

TEST_F(VacuumTest, UncommittedUploadSurvivesRetentionZeroAndIsCommittedAfter) {
  MakeTable(2);
  // A writer has uploaded its file but not committed yet.
  auto snapshot = table_->LoadSnapshot().value();
  auto adds = WriteFiles(*table_, *snapshot, DataSource::FromQuery(Rows(rows_, 100, "a")));
  ASSERT_TRUE(adds.ok()) << adds.status().ToString();
  ASSERT_EQ(adds->size(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the upload is in the past

  auto result = Vacuum(*table_, RetentionZero());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->deleted.empty()) << "deleted " << result->deleted[0];
  EXPECT_EQ(result->untracked_kept, 1);
  EXPECT_EQ(result->untracked_grace_hours, kUntrackedFileGraceHours);

  Transaction transaction(&table_->log(), snapshot);
  for (AddFile add : *adds) transaction.AddAction(std::move(add));
  ASSERT_TRUE(transaction.Commit().ok());
  rows_ += 100;
  EXPECT_EQ(ReadLatest(), Expected());
}

TEST_F(VacuumTest, WriterCommitLandingWhileVacuumRunsKeepsTheLatestVersionReadable) {
  MakeTable(2);
  // VACUUM loads version N; a writer uploads and commits N+1 before VACUUM lists the store.
  VacuumOptions options = RetentionZero();
  options.after_snapshot = [&] {
    AppendRows(100, "b");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  auto result = Vacuum(*table_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->deleted.empty()) << "deleted " << result->deleted[0];
  EXPECT_EQ(ReadLatest(), Expected());
}

TEST_F(VacuumTest, CompactionLandingWhileVacuumRunsKeepsTheLatestVersionReadable) {
  MakeTable(3);
  // VACUUM loads version N; a compactor commits N+1, removing files that N has active and adding
  // files that N does not know.
  VacuumOptions options = RetentionZero();
  options.after_snapshot = [&] {
    auto optimized = Optimize(*table_, {});
    ASSERT_TRUE(optimized.ok()) << optimized.status().ToString();
    ASSERT_EQ(optimized->files_removed, 6);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  auto first = Vacuum(*table_, options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->deleted.empty()) << "deleted " << first->deleted[0];
  EXPECT_EQ(ReadLatest(), Expected());
  // The next round sees the removals as tombstones and, at retention 0, deletes exactly them.
  auto second = Vacuum(*table_, RetentionZero());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->deleted.size(), 6u);
  EXPECT_EQ(ReadLatest(), Expected());
}

TEST_F(VacuumTest, UntrackedFilesWaitForTheGracePeriodWhateverTheRetention) {
  OpenLocal();
  MakeTable(1);
  std::ofstream(dir_ / "orphan-2h.parquet") << "left by a writer that crashed";
  std::ofstream(dir_ / "p=a" / "orphan-30min.parquet") << "an upload about to be committed";
  std::ofstream(dir_ / "staged-50min.parquet") << "a long compaction's output";
  Age(dir_ / "orphan-2h.parquet", 2);
  Age(dir_ / "p=a" / "orphan-30min.parquet", 0.5);
  Age(dir_ / "staged-50min.parquet", 50.0 / 60);

  for (double retention : {0.0, 0.25}) {
    VacuumOptions options = RetentionZero();
    options.retention_hours = retention;
    options.dry_run = true;
    auto result = Vacuum(*table_, options);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_EQ(result->deleted.size(), 1u) << "retention " << retention;
    EXPECT_EQ(result->deleted[0], "orphan-2h.parquet");
    EXPECT_EQ(result->untracked_kept, 2);
  }
  // A retention longer than the grace governs untracked files too.
  VacuumOptions longer = RetentionZero();
  longer.retention_hours = 3;
  auto kept = Vacuum(*table_, longer);
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->deleted.empty());
  EXPECT_EQ(kept->untracked_grace_hours, 3);

  auto deleted = Vacuum(*table_, RetentionZero());
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->deleted, std::vector<std::string>{"orphan-2h.parquet"});
  EXPECT_FALSE(std::filesystem::exists(dir_ / "orphan-2h.parquet"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "p=a" / "orphan-30min.parquet"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "staged-50min.parquet"));
  EXPECT_EQ(ReadLatest(), Expected());
}

TEST_F(VacuumTest, TombstonedFilesGoOnceTheirRemovalIsOlderThanTheRetention) {
  OpenLocal();
  MakeTable(2);
  // The data files are old (written "3 hours ago"); compaction removes them now.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    if (entry.path().extension() == ".parquet") Age(entry.path(), 3);
  }
  auto optimized = Optimize(*table_, {});
  ASSERT_TRUE(optimized.ok()) << optimized.status().ToString();
  ASSERT_EQ(optimized->files_removed, 4);

  VacuumOptions hour = RetentionZero();
  hour.retention_hours = 1;
  auto kept = Vacuum(*table_, hour);
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->deleted.empty()) << "removed inside the window: older versions need them";
  auto previous = table_->LoadSnapshot(optimized->last_version - 1);
  ASSERT_TRUE(previous.ok());

  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto deleted = Vacuum(*table_, RetentionZero());
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->deleted.size(), 4u);
  for (const auto& path : deleted->deleted) {
    bool was_removed = false;
    for (const AddFile& file : (*previous)->files) was_removed |= file.path == path;
    EXPECT_TRUE(was_removed) << path << " was not one of the compacted files";
  }
  EXPECT_EQ(ReadLatest(), Expected());
}

// vacuumProtocolCheck: VACUUM deletes files, so a writer feature we do not support refuses it by
// name (here row tracking, which we read but do not write); without the check, VACUUM runs.
TEST_F(VacuumTest, VacuumProtocolCheckRefusesTablesWithUnsupportedWriterFeatures) {
  MakeTable(1);
  auto snapshot = table_->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  Metadata metadata = (*snapshot)->metadata;
  metadata.configuration["delta.enableRowTracking"] = "true";
  // Commits another writer (Spark) would make; ours refuse such tables, so they are put directly.
  auto put_commit = [&](int64_t version, std::vector<std::string> writer_features) {
    Protocol protocol{1, 7, std::nullopt, std::move(writer_features)};
    std::string text = ActionToJson(protocol).dump() + "\n" + ActionToJson(metadata).dump() + "\n";
    char name[32];
    std::snprintf(name, sizeof(name), "%020lld.json", static_cast<long long>(version));
    ASSERT_TRUE(table_->store().PutIfAbsent(std::string("_delta_log/") + name, text).ok());
  };
  int64_t version = (*snapshot)->version;
  put_commit(version + 1, {"vacuumProtocolCheck", "rowTracking"});
  auto refused = Vacuum(*table_, RetentionZero());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("'rowTracking'"), std::string::npos)
      << refused.status().ToString();

  put_commit(version + 2, {"rowTracking"});
  auto vacuumed = Vacuum(*table_, RetentionZero());
  EXPECT_TRUE(vacuumed.ok()) << vacuumed.status().ToString();
  EXPECT_EQ(ReadLatest(), Expected());
}

}  // namespace
}  // namespace neuralake::delta
