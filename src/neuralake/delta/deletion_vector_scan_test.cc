// Deletion vectors through the one scan path: a table built here with our writer, then a commit
// that gives its files deletion vectors (one in a DV file below the table root, one inline), read
// back through lake_scan (what SQL, `table read` and OPTIMIZE run), compacted and vacuumed.
#include <thread>

#include <gtest/gtest.h>

#include "neuralake/delta/dml.h"
#include "neuralake/delta/checkpoint.h"
#include "neuralake/delta/deletion_vector.h"
#include "neuralake/delta/log.h"
#include "neuralake/delta/optimize.h"
#include "neuralake/delta/scan_plan.h"
#include "neuralake/delta/test_support.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/delta/vacuum.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/scan.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

// Rows deleted from the table: in partition a (ids 0..499) every 7th id, in b every id ending
// in 3.
constexpr const char* kDeleted = "((id < 500 AND id % 7 = 0) OR (id >= 500 AND id % 10 = 3))";

class DeletionVectorScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uri_ = "memory://" + testing::UniqueName("dv-scan") + "/t";
    auto table = DeltaTable::Open(uri_);
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    table_ = std::move(table).value();
    CreateTableOptions create;
    create.source = DataSource::FromQuery(
        "SELECT i::BIGINT AS id, CASE WHEN i < 500 THEN 'a' ELSE 'b' END AS p, i * 2 AS v "
        "FROM range(1000) t(i)");
    create.partition_columns = {"p"};
    ASSERT_TRUE(CreateTable(*table_, create).ok());
  }

  std::string Scalar(const std::string& sql) {
    auto engine = table_->GetEngine();
    auto result = (*engine)->Query(sql);
    EXPECT_TRUE(result.ok()) << result.status().ToString() << "\n" << sql;
    if (!result.ok() || result->rows.empty() || !result->rows[0][0]) return "<error>";
    std::string out;
    for (const auto& cell : result->rows[0]) out += (out.empty() ? "" : "|") + cell.value_or("");
    return out;
  }

  // The same aggregate over the table at `version` and over the expected rows.
  void ExpectRows(const std::string& select, const std::string& where, int64_t version,
                  bool deleted) {
    auto snapshot = table_->LoadSnapshot(version);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    auto scan = ScanSnapshot(*table_, **snapshot);
    ASSERT_TRUE(scan.ok()) << scan.status().ToString();
    std::string expected_where = deleted ? "NOT " + std::string(kDeleted) : "true";
    if (!where.empty()) expected_where += " AND " + where;
    EXPECT_EQ(Scalar("SELECT " + select + " FROM (" + scan->sql + ")" +
                     (where.empty() ? "" : " WHERE " + where)),
              Scalar("SELECT " + select + " FROM (SELECT i::BIGINT AS id, CASE WHEN i < 500 "
                     "THEN 'a' ELSE 'b' END AS p, i * 2 AS v FROM range(1000) t(i)) WHERE " +
                     expected_where))
        << select << " WHERE " << where << " at version " << version;
  }

  // Physical positions of the rows of `file` that `predicate` selects.
  std::vector<uint64_t> Positions(const AddFile& file, const std::string& predicate) {
    auto engine = table_->GetEngine();
    auto result = (*engine)->Query("SELECT file_row_number FROM read_parquet('" +
                                   table_->DataFileUri(file.path) +
                                   "', file_row_number = true) WHERE " + predicate +
                                   " ORDER BY 1");
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    std::vector<uint64_t> rows;
    for (const auto& row : result->rows) rows.push_back(std::stoull(*row[0]));
    return rows;
  }

  // Version 1: file a gets a DV in a DV file (prefix "xy"), file b an inline one, as Spark's
  // DELETE writes them (remove without, add with the vector), protocol raised to DV support.
  void DeleteRows() {
    auto snapshot = table_->LoadSnapshot();
    ASSERT_TRUE(snapshot.ok());
    ASSERT_EQ((*snapshot)->files.size(), 2u);
    std::vector<Action> actions = {Protocol{3, 7, std::vector<std::string>{"deletionVectors"},
                                            std::vector<std::string>{"deletionVectors"}}};
    int64_t now = NowMs();
    for (const AddFile& file : (*snapshot)->files) {
      bool in_a = file.partition_values.at("p") == "a";
      DeletionVector rows;
      for (uint64_t row : Positions(file, in_a ? "id % 7 = 0" : "id % 10 = 3")) rows.Add(row);
      ASSERT_GT(rows.Cardinality(), 0u);
      AddFile with_dv = file;
      if (in_a) {
        std::string bitmap = rows.Serialize();
        std::vector<int32_t> offsets;
        std::string dv_file = EncodeDeletionVectorFile({bitmap}, &offsets);
        auto descriptor = OnDiskDescriptor(NewUuid(), "xy", offsets[0],
                                           static_cast<int32_t>(bitmap.size()),
                                           static_cast<int64_t>(rows.Cardinality()));
        ASSERT_TRUE(descriptor.ok());
        dv_path_ = *DeletionVectorRelativePath(*descriptor);
        ASSERT_TRUE(table_->store().Put(dv_path_, dv_file).ok());
        with_dv.deletion_vector = *descriptor;
      } else {
        with_dv.deletion_vector = InlineDescriptor(rows);
      }
      actions.push_back(RemoveFor(file, now));
      actions.push_back(with_dv);
    }
    ASSERT_TRUE(table_->store().PutIfAbsent(CommitKey(1), SerializeCommit(actions)).ok());
  }

  std::string uri_;
  std::unique_ptr<DeltaTable> table_;
  std::string dv_path_;
};

TEST_F(DeletionVectorScanTest, DeletedRowsAreInvisibleToEveryScan) {
  DeleteRows();
  auto snapshot = table_->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  for (const AddFile& file : (*snapshot)->files) ASSERT_TRUE(file.deletion_vector.has_value());
  ExpectRows("count(*)", "", 1, true);
  ExpectRows("count(*), sum(id), sum(v), min(id), max(id)", "", 1, true);
  ExpectRows("count(*), sum(v)", "p = 'b'", 1, true);                // partition pruning
  ExpectRows("count(*), sum(id)", "id >= 990", 1, true);             // statistics pruning
  ExpectRows("count(*), sum(id)", "id BETWEEN 490 AND 510", 1, true);
  ExpectRows("count(*), count(DISTINCT p)", "v % 3 = 0", 1, true);
  ExpectRows("count(*), sum(id)", "", 0, false);  // the version before the delete is whole
  // Counts from the log subtract each vector's cardinality.
  int64_t rows = 0;
  for (const AddFile& file : (*snapshot)->files) rows += NumRecords(file);
  EXPECT_EQ(std::to_string(rows), Scalar("SELECT count(*) FROM range(1000) t(id) WHERE NOT " +
                                         std::string(kDeleted)));
  auto plan = BuildScanPlan(*table_, **snapshot);
  ASSERT_TRUE(plan.ok());
  int64_t live = 0;
  for (const auto& file : (*plan)->files) live += file.LiveRecords();
  EXPECT_EQ(live, rows);

  // Typed batches run the same plan.
  auto engine = table_->GetEngine();
  engine::ScanRequest request;
  request.columns = {"id"};
  int64_t batch_rows = 0;
  auto scanned = engine::ScanBatches(**engine, *plan, request, [&](const engine::RecordBatch& b) {
    batch_rows += b.num_rows;
    return Status::OK();
  });
  ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
  EXPECT_EQ(batch_rows, rows);
}

TEST_F(DeletionVectorScanTest, ACorruptDeletionVectorFailsTheScan) {
  DeleteRows();
  std::string bytes = *table_->store().Get(dv_path_);
  bytes[8] ^= 0x5a;
  ASSERT_TRUE(table_->store().Put(dv_path_, bytes).ok());
  auto snapshot = table_->LoadSnapshot();
  auto scan = ScanSnapshot(*table_, **snapshot);
  ASSERT_TRUE(scan.ok());
  auto result = (*table_->GetEngine())->Query("SELECT count(*) FROM (" + scan->sql + ")");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("checksum mismatch"), std::string::npos)
      << result.status().message();
  // Files that pruning drops never load their vector.
  auto pruned = (*table_->GetEngine())->Query("SELECT count(*) FROM (" + scan->sql +
                                              ") WHERE p = 'b'");
  EXPECT_TRUE(pruned.ok()) << pruned.status().ToString();
}

TEST_F(DeletionVectorScanTest, OptimizePurgesVectorsAndVacuumKeepsOnlyReferencedOnes) {
  DeleteRows();
  VacuumOptions vacuum;
  vacuum.retention_hours = 0;
  vacuum.force_retention = true;
  // While file a's add names it, the DV file stays.
  auto kept = Vacuum(*table_, vacuum);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  for (const auto& path : kept->deleted) EXPECT_NE(path, dv_path_);
  EXPECT_TRUE(table_->store().Head(dv_path_).ok());
  ExpectRows("count(*), sum(id)", "", 1, true);

  // Both files are large against nothing but carry a vector: each is rewritten alone.
  OptimizeOptions options;
  options.target_file_size = 1;
  auto optimized = Optimize(*table_, options);
  ASSERT_TRUE(optimized.ok()) << optimized.status().ToString();
  EXPECT_EQ(optimized->bins_committed, 2);
  EXPECT_EQ(optimized->files_removed, 2);
  ExpectRows("count(*), sum(id), sum(v)", "", optimized->last_version, true);
  auto snapshot = table_->LoadSnapshot();
  for (const AddFile& file : (*snapshot)->files) EXPECT_FALSE(file.deletion_vector.has_value());
  // The removes carry the vectors they purge (the logical files they end).
  auto commit = table_->store().Get(CommitKey(optimized->last_version));
  ASSERT_TRUE(commit.ok());
  auto actions = ParseCommit(*commit, "optimize commit");
  ASSERT_TRUE(actions.ok());
  int removes_with_dv = 0;
  for (const Action& action : *actions) {
    if (auto* remove = std::get_if<RemoveFile>(&action); remove && remove->deletion_vector) {
      ++removes_with_dv;
    }
  }
  EXPECT_EQ(removes_with_dv, 2);
  // Nothing left to purge: a second run has no bins.
  auto again = Optimize(*table_, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->bins_committed, 0);

  // Once no retained version names it, the DV file goes like a data file.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto vacuumed = Vacuum(*table_, vacuum);
  ASSERT_TRUE(vacuumed.ok()) << vacuumed.status().ToString();
  EXPECT_NE(std::find(vacuumed->deleted.begin(), vacuumed->deleted.end(), dv_path_),
            vacuumed->deleted.end());
  EXPECT_FALSE(table_->store().Head(dv_path_).ok());
  ExpectRows("count(*), sum(id), sum(v)", "", (*table_->LoadSnapshot())->version,
             true);
}

TEST_F(DeletionVectorScanTest, AppendAndPartitionDeleteKeepVectorsRight) {
  DeleteRows();
  auto appended = Append(*table_, DataSource::FromQuery(
                                      "SELECT 2000::BIGINT AS id, 'c' AS p, 1::BIGINT AS v"));
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_EQ(Scalar("SELECT count(*) FROM (" +
                   ScanSnapshot(*table_, **table_->LoadSnapshot())->sql + ")"),
            Scalar("SELECT count(*) + 1 FROM range(1000) t(id) WHERE NOT " +
                   std::string(kDeleted)));
  // A partition delete removes the logical file: its remove names the vector.
  auto deleted = delta::DeleteRows(*table_, "p = 'a'");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  auto commit = table_->store().Get(CommitKey(deleted->version));
  ASSERT_TRUE(commit.ok());
  auto actions = ParseCommit(*commit, "delete commit");
  ASSERT_TRUE(actions.ok());
  bool removed_with_dv = false;
  for (const Action& action : *actions) {
    if (auto* remove = std::get_if<RemoveFile>(&action)) {
      removed_with_dv = remove->deletion_vector.has_value();
    }
  }
  EXPECT_TRUE(removed_with_dv);
  EXPECT_EQ(Scalar("SELECT count(*) FROM (" +
                   ScanSnapshot(*table_, **table_->LoadSnapshot())->sql + ")"),
            Scalar("SELECT count(*) + 1 FROM range(500, 1000) t(id) WHERE id % 10 <> 3"));
}

TEST_F(DeletionVectorScanTest, CheckpointsKeepDescriptorsExactly) {
  DeleteRows();
  auto before = table_->LoadSnapshot();
  ASSERT_TRUE(before.ok());
  auto written = WriteCheckpoint(*table_, **before);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  // A fresh table object replays from the checkpoint alone.
  auto reopened = DeltaTable::Open(uri_);
  ASSERT_TRUE(reopened.ok());
  auto after = (*reopened)->LoadSnapshot();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ((*after)->checkpoint_version, (*before)->version);
  ASSERT_EQ((*after)->files.size(), (*before)->files.size());
  for (size_t i = 0; i < (*after)->files.size(); ++i) {
    ASSERT_TRUE((*after)->files[i].deletion_vector.has_value());
    EXPECT_EQ(*(*after)->files[i].deletion_vector, *(*before)->files[i].deletion_vector);
  }
  table_ = std::move(*reopened);
  ExpectRows("count(*), sum(id), sum(v)", "", 1, true);
}

TEST(DeletionVectorColumnsTest, AColumnNamedLikeTheScansVirtualColumnsIsRefused) {
  auto table = DeltaTable::Open("memory://" + testing::UniqueName("dv-filename") + "/t");
  ASSERT_TRUE(table.ok());
  CreateTableOptions create;
  create.source =
      DataSource::FromQuery("SELECT i::BIGINT AS id, 'x' AS filename FROM range(10) t(i)");
  ASSERT_TRUE(CreateTable(**table, create).ok());
  auto snapshot = (*table)->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok());
  DeletionVector rows;
  rows.Add(1);
  AddFile with_dv = (*snapshot)->files.at(0);
  with_dv.deletion_vector = InlineDescriptor(rows);
  std::vector<Action> actions = {Protocol{3, 7, std::vector<std::string>{"deletionVectors"},
                                          std::vector<std::string>{"deletionVectors"}},
                                 RemoveFor((*snapshot)->files.at(0), NowMs()), with_dv};
  ASSERT_TRUE((*table)->store().PutIfAbsent(CommitKey(1), SerializeCommit(actions)).ok());
  auto latest = (*table)->LoadSnapshot();
  ASSERT_TRUE(latest.ok());
  auto scan = ScanSnapshot(**table, **latest);
  ASSERT_TRUE(scan.ok());
  auto result = (*(*table)->GetEngine())->Query("SELECT count(*) FROM (" + scan->sql + ")");
  ASSERT_FALSE(result.ok());  // never the deleted row silently shown
  EXPECT_NE(result.status().message().find("a column named filename"), std::string::npos)
      << result.status().message();
}

}  // namespace
}  // namespace neuralake::delta
