// OPTIMIZE and VACUUM: rows unchanged, races with writers resolved, retained versions intact.
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "neuralake/delta/dml.h"
#include "neuralake/delta/optimize.h"
#include "neuralake/delta/test_support.h"
#include "neuralake/delta/vacuum.h"
#include "neuralake/delta/writer.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

std::string Rows(int64_t first, int64_t count, const std::string& partition) {
  return "SELECT range AS id, '" + partition + "' AS p, range * 2 AS v FROM range(" +
         std::to_string(first) + ", " + std::to_string(first + count) + ")";
}

class OptimizeTest : public ::testing::Test {
 protected:
  void SetUp() override { Open("memory://" + testing::UniqueName("optimize") + "/t"); }

  void Open(const std::string& uri) {
    uri_ = uri;
    auto table = DeltaTable::Open(uri_);
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    table_ = std::move(table).value();
  }

  // 2 partitions x `commits` small appends of 100 rows.
  void MakeSmallFiles(int commits) {
    CreateTableOptions create;
    create.source = DataSource::FromQuery(Rows(0, 100, "a"));
    create.partition_columns = {"p"};
    ASSERT_TRUE(CreateTable(*table_, create).ok());
    int64_t next = 100;
    for (int i = 1; i < commits * 2; ++i) {
      auto appended = Append(*table_, DataSource::FromQuery(Rows(next, 100, i % 2 ? "b" : "a")));
      ASSERT_TRUE(appended.ok()) << appended.status().ToString();
      next += 100;
    }
    rows_written_ = next;
  }

  // count, sum(id), count(distinct id) of the table at `version` (latest when negative).
  std::vector<std::string> Summary(int64_t version = -1) {
    auto snapshot = version < 0 ? table_->LoadSnapshot() : table_->LoadSnapshot(version);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    auto sql = ScanSnapshot(*table_, **snapshot);
    EXPECT_TRUE(sql.ok());
    auto engine = table_->GetEngine();
    auto result = (*engine)->Query("SELECT count(*), sum(id), count(DISTINCT id) FROM (" +
                                   sql->sql + ")");
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) return {};
    return {*result->rows[0][0], *result->rows[0][1], *result->rows[0][2]};
  }

  size_t FileCount() { return (*table_->LoadSnapshot())->files.size(); }

  std::string uri_;
  std::unique_ptr<DeltaTable> table_;
  int64_t rows_written_ = 0;
};

TEST_F(OptimizeTest, CompactsSmallFilesPerPartitionWithoutChangingRows) {
  MakeSmallFiles(10);
  auto before = Summary();
  EXPECT_EQ(FileCount(), 20u);
  OptimizeOptions options;
  options.target_file_size = 64 << 20;
  auto result = Optimize(*table_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->bins_committed, 2);  // one bin per partition
  EXPECT_EQ(result->commits, 1);         // both in one commit
  EXPECT_EQ(result->files_removed, 20);
  EXPECT_EQ(result->files_added, 2);
  EXPECT_EQ(FileCount(), 2u);
  EXPECT_EQ(Summary(), before);
  EXPECT_EQ(before[0], std::to_string(rows_written_));
  // The rewrite is not a data change.
  auto snapshot = table_->LoadSnapshot().value();
  for (const auto& file : snapshot->files) EXPECT_FALSE(file.data_change);
  // Running it again finds nothing to do.
  auto again = Optimize(*table_, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->bins_committed, 0);
}

TEST_F(OptimizeTest, OneRunIsOneCommitOverManyPartitions) {
  // 28 partitions x 2 small files (the table of the report: two runs made 59 commits).
  auto rows = [](int64_t first) {
    return "SELECT range AS id, 'p' || (range % 28) AS p, range * 2 AS v FROM range(" +
           std::to_string(first) + ", " + std::to_string(first + 2800) + ")";
  };
  CreateTableOptions create;
  create.source = DataSource::FromQuery(rows(0));
  create.partition_columns = {"p"};
  ASSERT_TRUE(CreateTable(*table_, create).ok());
  ASSERT_TRUE(Append(*table_, DataSource::FromQuery(rows(2800))).ok());
  ASSERT_EQ(FileCount(), 56u);
  auto before = Summary();
  int64_t version = (*table_->LoadSnapshot())->version;

  auto compacted = Optimize(*table_, {});
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  EXPECT_EQ(compacted->bins_committed, 28);
  EXPECT_EQ(compacted->commits, 1);
  EXPECT_EQ(compacted->last_version, version + 1);
  EXPECT_EQ((*table_->LoadSnapshot())->version, version + 1) << "one new version per run";
  EXPECT_EQ(FileCount(), 28u);

  OptimizeOptions zorder;
  zorder.zorder_by = {"v"};
  auto ordered = Optimize(*table_, zorder);
  ASSERT_TRUE(ordered.ok()) << ordered.status().ToString();
  EXPECT_EQ(ordered->bins_committed, 28);
  EXPECT_EQ(ordered->commits, 1);
  EXPECT_EQ((*table_->LoadSnapshot())->version, version + 2) << "one new version per run";
  EXPECT_EQ(Summary(), before);
  auto history = table_->log().History(2);
  ASSERT_TRUE(history.ok());
  for (const auto& record : *history) {
    ASSERT_TRUE(record.info.has_value());
    EXPECT_EQ(record.info->Operation(), "OPTIMIZE");
  }
}

TEST_F(OptimizeTest, LongRunsCommitInBoundedSlices) {
  MakeSmallFiles(3);
  int64_t version = (*table_->LoadSnapshot())->version;
  auto before = Summary();
  OptimizeOptions options;
  options.max_commit_bytes = 1;  // a commit after every bin
  std::vector<int64_t> hooks;
  options.before_commit = [&](int64_t commit) { hooks.push_back(commit); };
  auto result = Optimize(*table_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->bins_committed, 2);
  EXPECT_EQ(result->commits, 2);
  EXPECT_EQ(hooks, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ((*table_->LoadSnapshot())->version, version + 2);
  EXPECT_EQ(Summary(), before);
}

TEST_F(OptimizeTest, DeleteRacingOneBinDropsItAndCommitsTheOthers) {
  MakeSmallFiles(3);
  OptimizeOptions options;
  options.before_commit = [&](int64_t) {
    ASSERT_TRUE(DeleteRows(*table_, "p = 'a'").ok());  // removes bin a's files
  };
  auto result = Optimize(*table_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->bins_committed, 1);
  EXPECT_EQ(result->bins_conflicted, 1);
  EXPECT_EQ(result->commits, 1);
  EXPECT_EQ(FileCount(), 1u);  // partition b, compacted
  auto summary = Summary();
  EXPECT_EQ(summary[0], "300");
  EXPECT_EQ(summary[0], summary[2]);
  // Bin a's rewritten files were deleted again: only tombstoned files remain under p=a/.
  auto listed = table_->store().List("p=a/");
  ASSERT_TRUE(listed.ok());
  auto latest = table_->LoadSnapshot().value();
  for (const auto& object : *listed) {
    bool tombstone = false;
    for (const auto& file : latest->tombstones) tombstone |= file.path == object.key;
    EXPECT_TRUE(tombstone) << "leftover file " << object.key;
  }
}

TEST_F(OptimizeTest, PartitionFilterLimitsTheWorkAndUnknownColumnsAreErrors) {
  MakeSmallFiles(4);
  OptimizeOptions options;
  options.partition_predicate = "p = 'a'";
  auto result = Optimize(*table_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->bins_committed, 1);
  EXPECT_EQ(FileCount(), 1u + 4u);
  options.partition_predicate = "nope = 1";
  auto bad = Optimize(*table_, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("nope"), std::string::npos) << bad.status().ToString();
}

// For a column uniform over 0..999 (as numbers, or as text "k0000".."k0999"): over the ten ranges
// 0..99, 100..199, ..., the mean fraction of the latest snapshot's files whose min/max statistics
// overlap the range. 1.0 means no file can be skipped; single ranges are noisy because output files
// are cut by size and straddle Z-order cells, so the tests look at the mean.
double MeanFractionOverlapping(DeltaTable& table, const std::string& column, bool as_text) {
  auto snapshot = table.LoadSnapshot();
  EXPECT_TRUE(snapshot.ok());
  const auto& files = (*snapshot)->files;
  auto text = [](int value) {
    char buffer[16];
    std::snprintf(buffer, sizeof(buffer), "k%04d", value);
    return std::string(buffer);
  };
  int64_t overlapping = 0;
  for (int low = 0; low < 1000; low += 100) {
    for (const AddFile& file : files) {
      auto stats = nlohmann::json::parse(file.stats.value_or("{}"));
      const auto& min = stats["minValues"][column];
      const auto& max = stats["maxValues"][column];
      overlapping += as_text ? min.get<std::string>() <= text(low + 99) &&
                                   max.get<std::string>() >= text(low)
                             : min.get<int64_t>() <= low + 99 && max.get<int64_t>() >= low;
    }
  }
  return static_cast<double>(overlapping) / (10.0 * static_cast<double>(files.size()));
}

TEST_F(OptimizeTest, ZOrderClustersTwoColumnsForFileSkipping) {
  // 2M rows in 8 appends; x and y are independent and uniform in [0, 1000), so every file spans
  // both ranges entirely and a filter on either column can skip nothing.
  auto rows = [](int64_t first) {
    return "SELECT range AS id, CAST(hash(range) % 1000 AS BIGINT) AS x, "
           "CAST(hash(range * 7 + 1) % 1000 AS BIGINT) AS y FROM range(" +
           std::to_string(first) + ", " + std::to_string(first + 250'000) + ")";
  };
  CreateTableOptions create;
  create.source = DataSource::FromQuery(rows(0));
  ASSERT_TRUE(CreateTable(*table_, create).ok());
  for (int i = 1; i < 8; ++i) {
    ASSERT_TRUE(Append(*table_, DataSource::FromQuery(rows(i * 250'000))).ok());
  }
  auto before = Summary();
  ASSERT_EQ(MeanFractionOverlapping(*table_, "x", false), 1.0);
  ASSERT_EQ(MeanFractionOverlapping(*table_, "y", false), 1.0);

  OptimizeOptions options;
  options.target_file_size = 1 << 20;
  options.zorder_by = {"x", "y"};
  auto result = Optimize(*table_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->bins_committed, 1);
  EXPECT_EQ(result->files_removed, 8);
  EXPECT_EQ(result->rows_rewritten, 2'000'000);
  EXPECT_EQ(Summary(), before);  // same rows, none lost or duplicated
  const int64_t files = static_cast<int64_t>(FileCount());
  ASSERT_GE(files, 8) << "the target size should give several output files";
  // Both columns are clustered (a sort by x alone would leave y at 1.0): a 10% range of either
  // touches well under all files, and about 0.4 of them on average over the two (runs on 2 cores:
  // 15-17 files, x 0.35, y 0.45).
  double x = MeanFractionOverlapping(*table_, "x", false);
  double y = MeanFractionOverlapping(*table_, "y", false);
  EXPECT_LT(x, 0.8);
  EXPECT_LT(y, 0.8);
  EXPECT_LT((x + y) / 2, 0.65);
}

TEST_F(OptimizeTest, ZOrderRanksStringColumns) {
  // s is a zero-padded string of a uniform value: it has no numeric scaling and is ranked.
  CreateTableOptions create;
  create.source = DataSource::FromQuery(
      "SELECT range AS id, printf('k%04d', hash(range) % 1000) AS s, "
      "CAST(hash(range * 7 + 1) % 1000 AS BIGINT) AS y FROM range(0, 2000000)");
  ASSERT_TRUE(CreateTable(*table_, create).ok());
  auto before = Summary();
  OptimizeOptions options;
  options.target_file_size = 1 << 20;
  options.zorder_by = {"s", "y"};
  auto result = Optimize(*table_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Summary(), before);
  auto snapshot = table_->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok());
  const int64_t files = static_cast<int64_t>((*snapshot)->files.size());
  ASSERT_GE(files, 8);
  double text = MeanFractionOverlapping(*table_, "s", true);
  double y = MeanFractionOverlapping(*table_, "y", false);
  EXPECT_LT(text, 0.8);
  EXPECT_LT(y, 0.8);
  EXPECT_LT((text + y) / 2, 0.65);
}

TEST_F(OptimizeTest, ZOrderRefusesUnknownPartitionAndNestedColumns) {
  MakeSmallFiles(2);
  int64_t version = (*table_->LoadSnapshot())->version;
  OptimizeOptions options;
  for (const auto& [column, message] :
       std::vector<std::pair<std::string, std::string>>{{"nope", "not in the table schema"},
                                                        {"p", "is a partition column"}}) {
    options.zorder_by = {column};
    auto result = Optimize(*table_, options);
    ASSERT_FALSE(result.ok()) << column;
    EXPECT_TRUE(result.status().IsInvalid());
    EXPECT_NE(result.status().message().find(message), std::string::npos)
        << result.status().ToString();
  }
  EXPECT_EQ((*table_->LoadSnapshot())->version, version);  // nothing committed
}

TEST_F(OptimizeTest, AppendRacingTheCompactionBothLand) {
  MakeSmallFiles(3);
  OptimizeOptions options;
  options.before_commit = [&](int64_t bin) {
    if (bin == 0) {
      ASSERT_TRUE(Append(*table_, DataSource::FromQuery(Rows(10'000, 50, "a"))).ok());
    }
  };
  auto result = Optimize(*table_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->bins_conflicted, 0);
  auto summary = Summary();
  EXPECT_EQ(summary[0], std::to_string(rows_written_ + 50));
  EXPECT_EQ(summary[0], summary[2]) << "no duplicated rows";
}

TEST_F(OptimizeTest, DeleteRacingTheCompactionSkipsTheBinAndDuplicatesNothing) {
  MakeSmallFiles(3);
  OptimizeOptions options;
  options.partition_predicate = "p = 'a'";
  options.before_commit = [&](int64_t) {
    ASSERT_TRUE(DeleteRows(*table_, "p = 'a'").ok());  // removes the bin's files
  };
  auto result = Optimize(*table_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->bins_committed, 0);
  EXPECT_EQ(result->bins_conflicted, 1);
  auto summary = Summary();
  EXPECT_EQ(summary[0], "300");  // only partition b's 3 x 100 rows remain
  EXPECT_EQ(summary[0], summary[2]);
  // The compaction's uncommitted files were deleted again.
  auto listed = table_->store().List("p=a/");
  ASSERT_TRUE(listed.ok());
  auto latest = table_->LoadSnapshot().value();
  for (const auto& object : *listed) {
    bool referenced = false;
    for (const auto& file : latest->tombstones) {
      referenced |= file.path == object.key;
    }
    EXPECT_TRUE(referenced) << "leftover file " << object.key;
  }
}

TEST_F(OptimizeTest, VacuumRefusesShortRetentionAndNonDeltaPaths) {
  MakeSmallFiles(2);
  VacuumOptions options;
  options.retention_hours = 1;
  auto refused = Vacuum(*table_, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalid);
  EXPECT_NE(refused.status().message().find("--force-retention"), std::string::npos);
  EXPECT_EQ(FileCount(), 4u);  // nothing deleted

  auto not_delta = DeltaTable::Open("memory://" + testing::UniqueName("not-delta") + "/x");
  ASSERT_TRUE((*not_delta)->store().Put("data.parquet", "x").ok());
  auto missing = Vacuum(**not_delta, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE((*not_delta)->store().Head("data.parquet").ok()) << "nothing deleted";
}

TEST_F(OptimizeTest, VacuumKeepsEveryFileOfVersionsInsideTheWindow) {
  MakeSmallFiles(4);
  int64_t versions_before = (*table_->LoadSnapshot())->version;
  ASSERT_TRUE(Optimize(*table_, {}).ok());
  VacuumOptions window;
  window.retention_hours = 1;
  window.force_retention = true;
  auto kept = Vacuum(*table_, window);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_TRUE(kept->deleted.empty()) << "tombstones inside the window are still needed";
  for (int64_t version = 0; version <= versions_before + 1; ++version) {  // one OPTIMIZE commit
    auto summary = Summary(version);
    ASSERT_EQ(summary.size(), 3u) << "version " << version;
  }
  // With a zero window the compacted-away files go (dry run first lists exactly them).
  VacuumOptions zero;
  zero.retention_hours = 0;
  zero.force_retention = true;
  zero.dry_run = true;
  auto listed = Vacuum(*table_, zero);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->deleted.size(), 8u);
  zero.dry_run = false;
  auto deleted = Vacuum(*table_, zero);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->deleted.size(), 8u);
  EXPECT_EQ(Summary()[0], std::to_string(rows_written_));  // the latest version is intact
}

TEST_F(OptimizeTest, VacuumDeletesOldOrphansButNotFreshUploads) {
  auto dir = std::filesystem::temp_directory_path() / testing::UniqueName("nl-vacuum");
  Open(dir.string());
  MakeSmallFiles(1);
  std::ofstream(dir / "orphan-old.parquet") << "left by a crashed writer";
  std::ofstream(dir / "orphan-new.parquet") << "being committed right now";
  struct utimbuf old_time {};
  old_time.actime = old_time.modtime = time(nullptr) - 3 * 3600;
  ASSERT_EQ(utime((dir / "orphan-old.parquet").c_str(), &old_time), 0);
  VacuumOptions options;
  options.retention_hours = 1;
  options.force_retention = true;
  auto result = Vacuum(*table_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->deleted.size(), 1u);
  EXPECT_EQ(result->deleted[0], "orphan-old.parquet");
  EXPECT_TRUE(std::filesystem::exists(dir / "orphan-new.parquet"));
  EXPECT_TRUE(std::filesystem::exists(dir / "_delta_log"));
  EXPECT_EQ(Summary()[0], "200");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace neuralake::delta
