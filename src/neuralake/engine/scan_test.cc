#include "neuralake/engine/scan.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "neuralake/storage/test_environment.h"

namespace neuralake::engine {
namespace {

using Id = ColumnType::Id;

// Two Parquet files of a table partitioned by p: part-a (p = 'a', ids 0..4999, every type) and
// part-b (p = 'b', ids 5000..5099, written before `name` existed, so it reads as NULL).
class ScanBatchesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / testing::UniqueName("scan-batches");
    std::filesystem::create_directories(dir_);
    engine_ = Engine::Make({}).value();
    std::string a = (dir_ / "part-a.parquet").string();
    std::string b = (dir_ / "part-b.parquet").string();
    ASSERT_TRUE(engine_->Execute(
        "COPY (SELECT i::BIGINT AS id, "
        "CASE WHEN i = 1 THEN NULL WHEN i = 2 THEN "
        "'12345678901234567890123456789012345.67'::DECIMAL(38,2) "
        "ELSE (i + 0.05)::DECIMAL(38,2) END AS amount, "
        "(-i)::DECIMAL(10,2) AS price, "
        "CASE WHEN i = 1 THEN NULL ELSE 'name' || i END AS name, "
        "DATE '2026-01-01' + i::INTEGER AS d, "
        "TIMESTAMPTZ '2026-01-01 00:00:00+00' + i * INTERVAL 1 SECOND AS ts, "
        "CASE WHEN i = 1 THEN NULL ELSE {'x': i::INTEGER, 'y': 'y' || i} END AS s, "
        "CASE WHEN i = 1 THEN NULL WHEN i = 2 THEN [] ELSE [i::INTEGER, NULL] END AS l, "
        "MAP {'k' || i: i} AS m "
        "FROM range(5000) t(i) ORDER BY i) TO '" + a + "' (FORMAT parquet)").ok());
    ASSERT_TRUE(engine_->Execute(
        "COPY (SELECT i::BIGINT AS id, 1.00::DECIMAL(38,2) AS amount, 0::DECIMAL(10,2) AS price, "
        "DATE '2026-01-01' AS d, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS ts, "
        "{'x': 0::INTEGER, 'y': ''} AS s, [0::INTEGER] AS l, MAP {'k': i} AS m "
        "FROM range(5000, 5100) t(i)) TO '" + b + "' (FORMAT parquet)").ok());
    auto plan = std::make_shared<LakeSnapshot>();
    plan->table = "test.events";
    plan->version = 7;
    for (auto [name, type] : std::vector<std::pair<std::string, std::string>>{
             {"id", "BIGINT"},
             {"amount", "DECIMAL(38,2)"},
             {"price", "DECIMAL(10,2)"},
             {"name", "VARCHAR"},
             {"d", "DATE"},
             {"ts", "TIMESTAMP WITH TIME ZONE"},
             {"s", "STRUCT(x INTEGER, y VARCHAR)"},
             {"l", "INTEGER[]"},
             {"m", "MAP(VARCHAR, BIGINT)"},
             {"p", "VARCHAR"}}) {
      LakeColumn column;
      column.name = name;
      column.type = type;
      column.partition = name == "p";
      plan->columns.push_back(column);
    }
    for (auto [path, p, min, max] : std::vector<std::tuple<std::string, std::string, int, int>>{
             {a, "a", 0, 4999}, {b, "b", 5000, 5099}}) {
      LakeFile file;
      file.uri = path;
      file.size_bytes = static_cast<int64_t>(std::filesystem::file_size(path));
      file.partition_values["p"] = p;
      file.stats["id"].min = std::to_string(min);
      file.stats["id"].max = std::to_string(max);
      plan->files.push_back(file);
    }
    plan_ = plan;
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Every batch of the scan, copied.
  std::vector<RecordBatch> Scan(const ScanRequest& request, ScanOutcome* outcome = nullptr) {
    std::vector<RecordBatch> batches;
    auto result = ScanBatches(*engine_, plan_, request, [&](const RecordBatch& batch) {
      batches.push_back(batch);
      return Status::OK();
    });
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (result.ok() && outcome) *outcome = *result;
    return batches;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<const LakeSnapshot> plan_;
};

TEST_F(ScanBatchesTest, ColumnsAreTypedAndValuesExact) {
  ScanRequest request;
  request.filters.push_back({"id", ScanFilter::Op::kLess, int64_t{3}});
  auto batches = Scan(request);
  ASSERT_EQ(batches.size(), 1u);
  const RecordBatch& batch = batches[0];
  ASSERT_EQ(batch.num_rows, 3);
  ASSERT_EQ(batch.columns.size(), 10u);
  auto column = [&](const char* name) -> const Column& {
    int index = batch.ColumnIndex(name);
    EXPECT_GE(index, 0) << name;
    return batch.columns[index];
  };
  EXPECT_EQ(column("id").type.id, Id::kInt64);
  EXPECT_EQ(column("id").ints, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_TRUE(column("id").valid.empty());  // no NULL: no validity entries
  const Column& amount = column("amount");
  EXPECT_EQ(amount.type.id, Id::kDecimal);
  EXPECT_EQ(amount.type.precision, 38);
  EXPECT_EQ(amount.type.scale, 2);
  EXPECT_FALSE(amount.IsValid(1));
  EXPECT_EQ(static_cast<int64_t>(amount.decimals[0]), 5);
  // 1234567890123456789012345678901234567: beyond 64 bits, exact.
  __int128 big = 0;
  for (char c : std::string("1234567890123456789012345678901234567")) big = big * 10 + (c - '0');
  EXPECT_TRUE(amount.decimals[2] == big);
  EXPECT_EQ(column("price").type.precision, 10);
  EXPECT_TRUE(column("price").decimals[2] == -200);
  const Column& name = column("name");
  EXPECT_EQ(name.type.id, Id::kString);
  EXPECT_EQ(name.valid, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(name.strings[2], "name2");
  EXPECT_EQ(column("d").type.id, Id::kDate);
  EXPECT_EQ(column("d").ints[2], 20454 + 2);  // 2026-01-01 is day 20454
  EXPECT_EQ(column("ts").type.id, Id::kTimestamp);
  EXPECT_EQ(column("ts").ints[2], int64_t{1767225600} * 1000000 + 2000000);
  const Column& s = column("s");
  ASSERT_EQ(s.type.id, Id::kStruct);
  EXPECT_EQ(s.type.field_names, (std::vector<std::string>{"x", "y"}));
  ASSERT_EQ(s.children.size(), 2u);
  EXPECT_FALSE(s.IsValid(1));
  EXPECT_EQ(s.children[0].type.id, Id::kInt32);
  EXPECT_EQ(s.children[0].ints[2], 2);
  EXPECT_EQ(s.children[1].strings[0], "y0");
  const Column& l = column("l");
  ASSERT_EQ(l.type.id, Id::kList);
  EXPECT_EQ(l.offsets, (std::vector<int64_t>{0, 2, 2, 2}));  // [0, NULL], NULL, []
  EXPECT_EQ(l.valid, (std::vector<uint8_t>{1, 0, 1}));
  ASSERT_EQ(l.children[0].length, 2);
  EXPECT_EQ(l.children[0].ints[0], 0);
  EXPECT_FALSE(l.children[0].IsValid(1));
  const Column& m = column("m");
  ASSERT_EQ(m.type.id, Id::kMap);
  EXPECT_EQ(m.offsets, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(m.children[0].strings, (std::vector<std::string>{"k0", "k1", "k2"}));
  EXPECT_EQ(m.children[1].ints, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(column("p").strings, (std::vector<std::string>{"a", "a", "a"}));  // partition value
}

TEST_F(ScanBatchesTest, RowsStreamInBoundedBatches) {
  ScanRequest request;
  request.columns = {"id"};
  ScanOutcome outcome;
  auto batches = Scan(request, &outcome);
  ASSERT_GE(batches.size(), 3u);
  int64_t rows = 0, sum = 0;
  for (const RecordBatch& batch : batches) {
    EXPECT_LE(batch.num_rows, 2048);
    ASSERT_EQ(batch.columns.size(), 1u);
    EXPECT_EQ(batch.columns[0].length, batch.num_rows);
    rows += batch.num_rows;
    for (int64_t id : batch.columns[0].ints) sum += id;
  }
  EXPECT_EQ(rows, 5100);
  EXPECT_EQ(sum, int64_t{5099} * 5100 / 2);
  EXPECT_EQ(outcome.rows, 5100);
  EXPECT_EQ(outcome.batches, static_cast<int64_t>(batches.size()));
  // A sink error stops the scan after that batch and comes back as is.
  int calls = 0;
  auto stopped = ScanBatches(*engine_, plan_, request, [&](const RecordBatch&) {
    ++calls;
    return Status::Cancelled("enough");
  });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(stopped.status().IsCancelled()) << stopped.status().ToString();
}

TEST_F(ScanBatchesTest, ProjectionFiltersAndPruning) {
  ScanRequest request;
  request.columns = {"name", "id"};
  request.filters.push_back({"p", ScanFilter::Op::kEqual, std::string("b")});
  ScanOutcome outcome;
  auto batches = Scan(request, &outcome);
  int64_t rows = 0;
  for (const RecordBatch& batch : batches) {
    ASSERT_EQ(batch.columns.size(), 2u);
    EXPECT_EQ(batch.columns[0].name, "name");
    EXPECT_EQ(batch.columns[1].type.id, Id::kInt64);
    for (int64_t row = 0; row < batch.num_rows; ++row) {
      EXPECT_FALSE(batch.columns[0].IsValid(row));  // missing from part-b: NULL
    }
    rows += batch.num_rows;
  }
  EXPECT_EQ(rows, 100);
  ASSERT_EQ(outcome.scans.size(), 1u);
  EXPECT_EQ(outcome.scans[0].files_total, 2);
  EXPECT_EQ(outcome.scans[0].files_pruned_by_partition, 1);

  // Statistics prune, a string value compares as the column's type, filters AND, limits hold.
  ScanRequest typed;
  typed.columns = {"id"};
  typed.filters.push_back({"id", ScanFilter::Op::kGreaterOrEqual, int64_t{10}});
  typed.filters.push_back({"d", ScanFilter::Op::kLessOrEqual, std::string("2026-01-13")});
  typed.filters.push_back({"name", ScanFilter::Op::kIsNotNull, {}});
  batches = Scan(typed, &outcome);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].columns[0].ints, (std::vector<int64_t>{10, 11, 12}));
  typed.filters = {{"id", ScanFilter::Op::kGreater, int64_t{5090}}};
  typed.limit = 4;
  batches = Scan(typed, &outcome);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].num_rows, 4);
  EXPECT_EQ(outcome.scans.at(0).files_pruned_by_stats, 1);
}

TEST_F(ScanBatchesTest, BadRequestsAreInvalidAndNameTheColumn) {
  auto refused = [&](ScanRequest request) {
    auto result = ScanBatches(*engine_, plan_, request,
                              [](const RecordBatch&) { return Status::OK(); });
    EXPECT_TRUE(result.status().IsInvalid()) << result.status().ToString();
    return result.status().ToString();
  };
  ScanRequest unknown;
  unknown.columns = {"nope"};
  EXPECT_NE(refused(unknown).find("nope"), std::string::npos);
  ScanRequest filter;
  filter.filters = {{"missing", ScanFilter::Op::kEqual, int64_t{1}}};
  EXPECT_NE(refused(filter).find("missing"), std::string::npos);
  filter.filters = {{"s", ScanFilter::Op::kEqual, int64_t{1}}};
  EXPECT_NE(refused(filter).find("nested"), std::string::npos);
  filter.filters = {{"id", ScanFilter::Op::kEqual, {}}};
  EXPECT_NE(refused(filter).find("NULL"), std::string::npos);
  filter.filters = {{"d", ScanFilter::Op::kEqual, std::string("not a date")}};
  refused(filter);
}

}  // namespace
}  // namespace neuralake::engine
