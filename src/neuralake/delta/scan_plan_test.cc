// The scan plan: typed stats parsed once, column mapping, the one deletion-vector check.
#include "neuralake/delta/scan_plan.h"

#include <gtest/gtest.h>

#include "neuralake/delta/table.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/scan.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

TEST(ScanPlanTest, ParseAddStatsReadsPhysicalNamesIntoLogicalOnes) {
  AddFile add;
  add.path = "f.parquet";
  add.stats = R"({"numRecords":7,"minValues":{"col-1":3,"col-2":"a"},)"
              R"("maxValues":{"col-1":9.5},"nullCount":{"col-1":0,"col-2":2}})";
  engine::LakeFile file;
  ParseAddStats(add, {{"col-1", "id"}, {"col-2", "name"}}, file);
  EXPECT_EQ(file.num_records, 7);
  ASSERT_EQ(file.stats.size(), 2u);
  EXPECT_EQ(file.stats["id"].min, "3");
  EXPECT_EQ(file.stats["id"].max, "9.5");
  EXPECT_EQ(file.stats["id"].null_count, 0);
  EXPECT_EQ(file.stats["name"].min, "a");
  EXPECT_FALSE(file.stats["name"].max.has_value());
  EXPECT_EQ(file.stats["name"].null_count, 2);
}

TEST(ScanPlanTest, NumRecordsIsUnknownForMissingOrMalformedStats) {
  AddFile add;
  EXPECT_EQ(NumRecords(add), -1);
  add.stats = "";
  EXPECT_EQ(NumRecords(add), -1);
  add.stats = R"({"numRecords":)";  // truncated: a hint, never an error
  EXPECT_EQ(NumRecords(add), -1);
  add.stats = R"({"minValues":{"numRecords":5}})";  // a raw string search found 5 here
  EXPECT_EQ(NumRecords(add), -1);
  add.stats = R"({"numRecords" : 12})";  // a raw string search for '"numRecords":' found 0 here
  EXPECT_EQ(NumRecords(add), 12);
}

TEST(ScanPlanTest, NumRecordsCountsRowsLeftByADeletionVector) {
  AddFile add;
  add.path = "b.parquet";
  add.stats = R"({"numRecords":10})";
  add.deletion_vector = DeletionVectorDescriptor{"u", "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6};
  EXPECT_EQ(NumRecords(add), 4);
  engine::LakeFile file;
  ParseAddStats(add, {}, file);
  EXPECT_EQ(file.num_records, 10);  // physical rows, as null counts are
}

TEST(ScanPlanTest, PlanOfATableHasColumnsFilesPartitionsAndStats) {
  engine::EngineOptions engine_options;
  engine_options.threads = 1;
  auto engine = engine::Engine::Make(engine_options);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  TableOptions options;
  options.engine = engine->get();
  auto table =
      DeltaTable::Open("memory://" + testing::UniqueName("delta-scan-plan") + "/t", options);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  CreateTableOptions create;
  create.source = DataSource::FromQuery(
      "SELECT * FROM (VALUES (1, 'paris', 2.5), (2, 'paris', 3.5), (3, 'oslo', NULL)) "
      "AS t(id, city, fare)");
  create.partition_columns = {"city"};
  auto created = CreateTable(**table, create);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto snapshot = (*table)->LoadSnapshot(std::nullopt);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();

  auto plan = BuildScanPlan(**table, **snapshot, "demo.t");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ((*plan)->table, "demo.t");
  EXPECT_EQ((*plan)->version, 0);
  ASSERT_EQ((*plan)->columns.size(), 3u);
  EXPECT_EQ((*plan)->columns[0].name, "id");
  EXPECT_FALSE((*plan)->columns[0].partition);
  EXPECT_TRUE((*plan)->columns[1].partition);
  ASSERT_EQ((*plan)->files.size(), 2u);
  int64_t rows = 0;
  for (const auto& file : (*plan)->files) {
    rows += file.num_records;
    ASSERT_TRUE(file.partition_values.count("city"));
    EXPECT_EQ(file.stats.count("id"), 1u);
    if (file.partition_values.at("city") == "oslo") {
      EXPECT_EQ(file.stats.at("fare").null_count, 1);
      EXPECT_EQ(file.stats.at("id").min, "3");
    }
  }
  EXPECT_EQ(rows, 3);

  // A subset of the files (OPTIMIZE reads a bin).
  std::vector<AddFile> one = {(*snapshot)->files[0]};
  auto subset = BuildScanPlan(**table, **snapshot, "", &one);
  ASSERT_TRUE(subset.ok()) << subset.status().ToString();
  EXPECT_EQ((*subset)->files.size(), 1u);

  // A file with a deletion vector carries it, unread until a scan needs it.
  one[0].deletion_vector = DeletionVectorDescriptor{"u", "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6};
  auto with_dv = BuildScanPlan(**table, **snapshot, "", &one);
  ASSERT_TRUE(with_dv.ok()) << with_dv.status().ToString();
  ASSERT_NE((*with_dv)->files[0].deletion_vector, nullptr);
  EXPECT_EQ((*with_dv)->files[0].deletion_vector->cardinality(), 6);
  EXPECT_TRUE((*with_dv)->files[0].deletion_vector->Load().status().IsNotFound());
}

TEST(ScanPlanTest, TypedBatchesOfATableMatchItsSqlScan) {
  auto engine = engine::Engine::Make({});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  TableOptions options;
  options.engine = engine->get();
  auto table =
      DeltaTable::Open("memory://" + testing::UniqueName("delta-scan-batches") + "/t", options);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  CreateTableOptions create;
  create.source = DataSource::FromQuery(
      "SELECT i::BIGINT AS id, CASE WHEN i % 2 = 0 THEN 'paris' ELSE 'oslo' END AS city, "
      "(i / 4)::DECIMAL(10,2) AS fare FROM range(3000) t(i)");
  create.partition_columns = {"city"};
  ASSERT_TRUE(CreateTable(**table, create).ok());
  auto snapshot = (*table)->LoadSnapshot(std::nullopt);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  auto plan = BuildScanPlan(**table, **snapshot, "demo.t");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();

  engine::ScanRequest request;
  request.columns = {"fare", "city"};
  request.filters = {{"city", engine::ScanFilter::Op::kEqual, std::string("paris"), {}},
                     {"id", engine::ScanFilter::Op::kLess, int64_t{2000}, {}}};
  int64_t rows = 0;
  __int128 fare_sum = 0;
  auto outcome = engine::ScanBatches(**engine, *plan, request, [&](const engine::RecordBatch& b) {
    EXPECT_EQ(b.columns[0].type.id, engine::ColumnType::Id::kDecimal);
    EXPECT_EQ(b.columns[1].type.id, engine::ColumnType::Id::kString);
    for (int64_t row = 0; row < b.num_rows; ++row) {
      EXPECT_EQ(b.columns[1].strings[row], "paris");
      fare_sum += b.columns[0].decimals[row];
    }
    rows += b.num_rows;
    return Status::OK();
  });
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  ASSERT_EQ(outcome->scans.size(), 1u);
  EXPECT_EQ(outcome->scans[0].files_pruned_by_partition, 1);  // oslo's file is not read
  engine::RegisteredScanPlan registered(*plan);
  auto expected = (*engine)->Query("SELECT count(*), CAST(sum(fare) * 100 AS BIGINT) FROM " +
                                   registered.Relation() + " WHERE city = 'paris' AND id < 2000");
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  EXPECT_EQ(std::to_string(rows), *expected->rows[0][0]);
  EXPECT_EQ(std::to_string(static_cast<int64_t>(fare_sum)), *expected->rows[0][1]);
}

}  // namespace
}  // namespace neuralake::delta
