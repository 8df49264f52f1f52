#include "neuralake/engine/parquet_write.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "neuralake/storage/test_environment.h"

namespace neuralake::engine {
namespace {

namespace fs = std::filesystem;
using Id = ColumnType::Id;

class ParquetWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = Engine::Make({});
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    engine_ = std::move(made).value();
    dir_ = fs::temp_directory_path() / testing::UniqueName("parquet-write");
  }
  void TearDown() override {
    std::error_code error;
    fs::remove_all(dir_, error);
  }

  // Every regular file under `dir`, relative to it.
  static std::vector<std::string> FilesUnder(const fs::path& dir) {
    std::vector<std::string> out;
    if (!fs::exists(dir)) return out;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file()) out.push_back(fs::relative(entry.path(), dir).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string Scalar(const std::string& sql) {
    auto result = engine_->Query(sql);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok() || result->rows.empty()) return "";
    return result->rows[0][0].value_or("NULL");
  }

  std::unique_ptr<Engine> engine_;
  fs::path dir_;
};

ColumnBatch TwoColumnBatch(int64_t rows) {
  ColumnBatch batch;
  batch.num_rows = rows;
  ColumnData id{"id", ColumnKind::kInt64};
  ColumnData city{"city", ColumnKind::kString};
  for (int64_t i = 0; i < rows; ++i) {
    id.ints.push_back(i);
    city.strings.push_back(i % 2 == 0 ? "paris" : "rome");
    city.valid.push_back(i % 5 == 4 ? 0 : 1);  // every fifth city is NULL
  }
  batch.columns = {std::move(id), std::move(city)};
  return batch;
}

const WrittenFile::ColumnStats* StatsOf(const WrittenFile& file, const std::string& column) {
  for (const auto& stats : file.columns) {
    if (stats.column == column) return &stats;
  }
  return nullptr;
}

TEST_F(ParquetWriteTest, WritesBatchesAndReturnsStats) {
  ColumnBatch batch = TwoColumnBatch(100);
  ParquetWriteSpec spec;
  spec.target = dir_.string();
  spec.file_prefix = "part-batches-";
  spec.columns = {OutputColumn::Of("id", "id", ColumnType::Of(Id::kInt64)),
                  OutputColumn::Of("city", "city", ColumnType::Of(Id::kString)),
                  OutputColumn::Of("missing", std::nullopt, ColumnType::Of(Id::kDate))};
  auto files = WriteParquet(*engine_, WriteSource::FromBatches({&batch}), spec);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 1u);
  const WrittenFile& file = files->front();
  EXPECT_EQ(file.num_rows, 100);
  EXPECT_GT(file.size_bytes, 0);
  EXPECT_EQ(fs::file_size(file.uri), static_cast<uintmax_t>(file.size_bytes));
  EXPECT_EQ(fs::path(file.uri).filename().string().rfind("part-batches-", 0), 0u);
  const auto* id = StatsOf(file, "id");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->min, "0");
  EXPECT_EQ(id->max, "99");
  EXPECT_EQ(id->null_count, 0);
  const auto* city = StatsOf(file, "city");
  ASSERT_NE(city, nullptr);
  EXPECT_EQ(city->null_count, 20);
  EXPECT_EQ(city->min, "paris");
  EXPECT_EQ(city->max, "rome");

  // The rows, types and the NULL column read back; the batch's temp table is gone.
  std::string read = "read_parquet(" + Engine::QuoteLiteral(file.uri) + ")";
  EXPECT_EQ(Scalar("SELECT sum(id) FROM " + read), std::to_string(99 * 100 / 2));
  EXPECT_EQ(Scalar("SELECT any_value(typeof(missing)) || ':' || count(missing) FROM " + read),
            "DATE:0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '__nl_write%'"),
            "0");
}

TEST_F(ParquetWriteTest, PartitionedWriteEncodesPartitionText) {
  ParquetWriteSpec spec;
  spec.target = dir_.string();
  spec.file_prefix = "part-p-";
  spec.columns = {OutputColumn::Of("n", "n", ColumnType::Of(Id::kInt64)),
                  OutputColumn::Of("p", "p", ColumnType::Of(Id::kString),
                                   OutputColumn::Conversion::kPartitionText)};
  spec.partition_by = {"p"};
  auto files = WriteParquet(
      *engine_,
      WriteSource::FromQuery("SELECT range AS n, CASE range % 4 WHEN 0 THEN 'a' WHEN 1 THEN NULL "
                             "WHEN 2 THEN '' ELSE '%x' END AS p FROM range(40)"),
      spec);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  std::map<std::string, int64_t> rows_by_value;
  for (const auto& file : *files) {
    ASSERT_EQ(file.partition_values.size(), 1u);
    EXPECT_EQ(file.partition_values[0].first, "p");
    rows_by_value[file.partition_values[0].second] += file.num_rows;
    EXPECT_NE(file.uri.find("/p="), std::string::npos) << file.uri;
  }
  // NULL and '' share the null value; a value starting with the escape gets the escape.
  std::map<std::string, int64_t> expected = {
      {"a", 10}, {"__HIVE_DEFAULT_PARTITION__", 20}, {"%%x", 10}};
  EXPECT_EQ(rows_by_value, expected);
}

TEST_F(ParquetWriteTest, TargetFileSizeCutsFiles) {
  ParquetWriteSpec spec;
  spec.target = dir_.string();
  spec.file_prefix = "part-cut-";
  spec.target_file_size = 64 * 1024;
  spec.row_group_size = 2048;
  auto files = WriteParquet(
      *engine_,
      WriteSource::FromQuery("SELECT range AS id, md5(CAST(range AS VARCHAR)) AS h "
                             "FROM range(100000)"),
      spec);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_GT(files->size(), 3u);
  int64_t rows = 0;
  for (const auto& file : *files) rows += file.num_rows;
  EXPECT_EQ(rows, 100000);
  EXPECT_EQ(FilesUnder(dir_).size(), files->size());

  // Without a size the same rows are one file.
  spec.target_file_size.reset();
  spec.file_prefix = "part-whole-";
  auto whole = WriteParquet(
      *engine_, WriteSource::FromQuery("SELECT range AS id FROM range(100000)"), spec);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(whole->size(), 1u);
}

TEST_F(ParquetWriteTest, FailedConversionLeavesNoFiles) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "other-writer.parquet") << "not ours";
  ParquetWriteSpec spec;
  spec.target = dir_.string();
  spec.file_prefix = "part-failing-";
  spec.target_file_size = 16 * 1024;
  spec.row_group_size = 1024;
  spec.columns = {OutputColumn::Of("v", "v", ColumnType::Of(Id::kInt64))};
  // The bad value comes late, after several files were completed.
  auto files = WriteParquet(
      *engine_,
      WriteSource::FromQuery("SELECT CASE WHEN range < 50000 THEN CAST(range AS VARCHAR) "
                             "ELSE 'not a number' END AS v FROM range(60000)"),
      spec);
  ASSERT_FALSE(files.ok());
  EXPECT_TRUE(files.status().IsInvalid()) << files.status().ToString();
  EXPECT_NE(files.status().message().find("not a number"), std::string::npos)
      << files.status().ToString();
  EXPECT_EQ(FilesUnder(dir_), std::vector<std::string>{"other-writer.parquet"});

  // Partitioned, and through a memory store.
  spec.partition_by = {"p"};
  spec.target_file_size.reset();
  spec.columns.push_back(OutputColumn::Of("p", "p", ColumnType::Of(Id::kInt32),
                                          OutputColumn::Conversion::kPartitionText));
  std::string root = "memory://" + testing::UniqueName("parquet-write");
  spec.target = root + "/t";
  auto partitioned = WriteParquet(
      *engine_,
      WriteSource::FromQuery("SELECT CASE WHEN range < 50000 THEN CAST(range AS VARCHAR) "
                             "ELSE 'x' END AS v, range % 3 AS p FROM range(60000)"),
      spec);
  ASSERT_FALSE(partitioned.ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM glob(" + Engine::QuoteLiteral(root + "/**") + ")"), "0");
}

TEST_F(ParquetWriteTest, SingleFileWithCompression) {
  ColumnBatch batch = TwoColumnBatch(10);
  ParquetWriteSpec spec;
  spec.target = (dir_ / "one.parquet").string();
  fs::create_directories(dir_);
  spec.single_file = true;
  spec.compression = "zstd";
  auto files = WriteParquet(*engine_, WriteSource::FromBatches({&batch}), spec);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front().num_rows, 10);
  EXPECT_EQ(FilesUnder(dir_), std::vector<std::string>{"one.parquet"});
  EXPECT_EQ(Scalar("SELECT DISTINCT compression FROM parquet_metadata(" +
                   Engine::QuoteLiteral(spec.target) + ")"),
            "ZSTD");
}

TEST_F(ParquetWriteTest, CsvAndJsonSingleFiles) {
  ColumnBatch batch = TwoColumnBatch(3);
  fs::create_directories(dir_);
  ParquetWriteSpec csv;
  csv.format = WriteFormat::kCsv;
  csv.single_file = true;
  csv.target = (dir_ / "t.csv").string();
  auto files = WriteParquet(*engine_, WriteSource::FromBatches({&batch}), csv);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 1u);
  std::ifstream in(csv.target);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "id,city");
  ParquetWriteSpec json = csv;
  json.format = WriteFormat::kJson;
  json.target = (dir_ / "t.json").string();
  ASSERT_TRUE(WriteParquet(*engine_, WriteSource::FromBatches({&batch}), json).ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM read_json(" + Engine::QuoteLiteral(json.target) + ")"),
            "3");
  // Text formats are written to one file only.
  ParquetWriteSpec directory = csv;
  directory.single_file = false;
  directory.target = (dir_ / "csvdir").string();
  EXPECT_FALSE(WriteParquet(*engine_, WriteSource::FromBatches({&batch}), directory).ok());
}

TEST_F(ParquetWriteTest, UnscaledDecimalsAndCodes) {
  ParquetWriteSpec spec;
  spec.target = (dir_ / "t.parquet").string();
  fs::create_directories(dir_);
  spec.single_file = true;
  OutputColumn price = OutputColumn::Of("price", "cents", ColumnType::Decimal(15, 2),
                                        OutputColumn::Conversion::kUnscaledDecimal);
  OutputColumn flag = OutputColumn::Of("flag", "code", ColumnType::Of(Id::kString),
                                       OutputColumn::Conversion::kCode);
  flag.codes = {"A", "N", "R"};
  spec.columns = {price, flag};
  auto files = WriteParquet(
      *engine_,
      WriteSource::FromQuery("SELECT 123456789012 AS cents, 2 AS code UNION ALL "
                             "SELECT -5, 0"),
      spec);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(Scalar("SELECT string_agg(CAST(price AS VARCHAR) || flag, ',' ORDER BY price) || ':' "
                   "|| any_value(typeof(price)) FROM read_parquet(" +
                   Engine::QuoteLiteral(spec.target) + ")"),
            "-0.05A,1234567890.12R:DECIMAL(15,2)");
}

TEST_F(ParquetWriteTest, FileSourcesReadWithKnownTypes) {
  fs::create_directories(dir_);
  std::string json = (dir_ / "in.jsonl").string();
  std::ofstream(json) << "{\"id\": 1, \"amount\": \"12345678901234567890.5\", "
                         "\"tags\": {\"a\": [1, 2]}}\n"
                         "{\"id\": 2, \"amount\": 1.25}\n";
  WriteSource source = WriteSource::FromFiles(json, FileFormat::kJson);
  source.column_types = {
      {"id", ColumnType::Of(Id::kInt64), "long"},
      {"amount", ColumnType::Decimal(38, 1), "decimal(38,1)"},
      {"tags", ColumnType::Map(ColumnType::Of(Id::kString),
                               ColumnType::List(ColumnType::Of(Id::kInt32))),
       "map<string, array<integer>>"}};
  auto columns = DescribeSource(*engine_, source);
  ASSERT_TRUE(columns.ok()) << columns.status().ToString();
  ASSERT_EQ(columns->size(), 3u);
  EXPECT_EQ((*columns)[1].type, "DECIMAL(38,1)");
  EXPECT_EQ((*columns)[2].type, "MAP(VARCHAR, INTEGER[])");
  ParquetWriteSpec spec;
  spec.target = (dir_ / "out").string();
  auto files = WriteParquet(*engine_, source, spec);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front().num_rows, 2);
  EXPECT_EQ(Scalar("SELECT string_agg(CAST(amount AS VARCHAR) || ' ' || COALESCE(CAST(tags AS VARCHAR), 'null'), "
                   "',' ORDER BY id) FROM read_parquet(" + Engine::QuoteLiteral(files->front().uri) +
                   ")"),
            "12345678901234567890.5 {a=[1, 2]},1.3 null");  // exact, not through a double

  // A value that does not convert names the column and its type.
  std::ofstream(json) << "{\"id\": \"one\"}\n";
  auto bad = WriteParquet(*engine_, source, spec);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("column 'id' (long): cannot convert the value"),
            std::string::npos)
      << bad.status().ToString();

  // CSV: typed columns, a tab delimiter; rows failing a predicate are counted.
  std::string tsv = (dir_ / "in.tsv").string();
  std::ofstream(tsv) << "id\tnote\n7\t\n8\t\"\"\n";
  WriteSource csv = WriteSource::FromFiles(tsv, FileFormat::kCsv, '\t');
  csv.column_types = {{"id", ColumnType::Of(Id::kInt16), "short"}};
  auto described = DescribeSource(*engine_, csv);
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  EXPECT_EQ((*described)[0].type, "SMALLINT");
  std::string nested = (dir_ / "nested.csv").string();
  std::ofstream(nested) << "id,s\n1,\"{\"\"a\"\": 5}\"\n2,{'a': 6}\n3,\n";
  WriteSource nested_csv = WriteSource::FromFiles(nested, FileFormat::kCsv);
  nested_csv.column_types = {
      {"s", ColumnType::Struct({"a"}, {ColumnType::Of(Id::kInt64)}), "struct<a: long>"}};
  auto nested_rows = CountRowsNotSatisfying(*engine_, nested_csv, "s.a >= 5");
  ASSERT_TRUE(nested_rows.ok()) << nested_rows.status().ToString();
  EXPECT_EQ(*nested_rows, 1);  // the NULL struct
  auto failing = CountRowsNotSatisfying(*engine_, csv, "note = ''");
  ASSERT_TRUE(failing.ok()) << failing.status().ToString();
  EXPECT_EQ(*failing, 1);  // the unquoted empty field is NULL, the quoted one ''

  // An empty file has no columns.
  std::string empty = (dir_ / "empty.csv").string();
  std::ofstream(empty) << "  \n";
  Status refused = CheckSourceNotEmpty(*engine_, WriteSource::FromFiles(empty, FileFormat::kCsv));
  EXPECT_TRUE(refused.IsInvalid());
  EXPECT_EQ(refused.message(), "'" + empty + "' is empty: no header/columns");
  EXPECT_TRUE(CheckSourceNotEmpty(*engine_, csv).ok());
}

TEST_F(ParquetWriteTest, RefusesInconsistentSpecs) {
  ParquetWriteSpec spec;
  auto source = WriteSource::FromQuery("SELECT 1 AS a");
  EXPECT_TRUE(WriteParquet(*engine_, source, spec).status().IsInvalid());  // no target
  spec.target = dir_.string();
  spec.partition_by = {"b"};
  spec.columns = {OutputColumn::Of("a", "a", ColumnType::Of(Id::kInt32))};
  EXPECT_TRUE(WriteParquet(*engine_, source, spec).status().IsInvalid());  // unknown partition
  EXPECT_TRUE(FilesUnder(dir_).empty());
}

}  // namespace
}  // namespace neuralake::engine
