// Parquet <-> JSON rows (parquet_json.h) over memory:// files, with DuckDB's own reading of the
// written files as the reference.
#include "neuralake/engine/parquet_json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::engine {
namespace {

using Rows = std::vector<std::vector<std::optional<std::string>>>;

class ParquetJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = Engine::Make({});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
    name_ = testing::UniqueName("parquet-json");
    root_ = "memory://" + name_ + "/";
  }

  // Writes the rows of `select` as Parquet file `name`; returns its URI.
  std::string Write(const std::string& name, const std::string& select) {
    std::string uri = root_ + name;
    Status written = engine_->Execute("COPY (" + select + ") TO " + Engine::QuoteLiteral(uri) +
                                      " (FORMAT parquet)");
    EXPECT_TRUE(written.ok()) << written.ToString();
    return uri;
  }

  // Every batch the sink receives, concatenated.
  ParquetRowSink Collect(Rows* rows) {
    return [rows](const Table& batch) {
      rows->insert(rows->end(), batch.rows.begin(), batch.rows.end());
      return Status::OK();
    };
  }

  std::unique_ptr<Engine> engine_;
  std::string name_;
  std::string root_;
};

using Id = ColumnType::Id;

ColumnType StringMap() {
  return ColumnType::Map(ColumnType::Of(Id::kString), ColumnType::Of(Id::kString));
}

TEST_F(ParquetJsonTest, JsonLinesBecomeTypedParquetColumns) {
  std::vector<ParquetField> columns = {
      {"id", ColumnType::Of(Id::kInt64)},
      {"s", ColumnType::Struct({"name", "tags", "list", "ok"},
                               {ColumnType::Of(Id::kString), StringMap(),
                                ColumnType::List(ColumnType::Of(Id::kInt32)),
                                ColumnType::Of(Id::kBoolean)})},
  };
  std::string lines =
      R"({"id": 1, "s": {"name": "a", "tags": {"k": "v", "k2": "w"}, "list": [1, 2], "ok": true}})"
      "\n"
      R"({"id": 2, "ignored": 5})"
      "\n"
      R"({"s": {"name": "c"}})"
      "\n";
  auto bytes = JsonLinesToParquet(*engine_, lines, columns);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto store = storage::MakeMemoryObjectStore(name_, "");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Put("out.parquet", *bytes).ok());

  auto described = engine_->Query("DESCRIBE SELECT * FROM '" + root_ + "out.parquet'");
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  ASSERT_EQ(described->rows.size(), 2u);  // the unlisted member is not a column
  EXPECT_EQ(described->rows[0][1], "BIGINT");
  EXPECT_EQ(described->rows[1][1],
            "STRUCT(\"name\" VARCHAR, tags MAP(VARCHAR, VARCHAR), list INTEGER[], ok BOOLEAN)");

  auto rows = engine_->Query("SELECT id, s.name, s.tags['k2'], list_sum(s.list), s.ok, s IS NULL "
                             "FROM '" + root_ + "out.parquet'");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  Rows expected = {{"1", "a", "w", "3", "true", "false"},
                   {"2", std::nullopt, std::nullopt, std::nullopt, std::nullopt, "true"},
                   {std::nullopt, "c", std::nullopt, std::nullopt, std::nullopt, "false"}};
  EXPECT_EQ(rows->rows, expected);
}

TEST_F(ParquetJsonTest, WriteErrorsAreReportedAndStagingIsCleared) {
  auto bad = JsonLinesToParquet(*engine_, "{\"id\": \"not a number\"}\n",
                                {{"id", ColumnType::Of(Id::kInt64)}}, "label-test");
  EXPECT_FALSE(bad.ok());
  auto good = JsonLinesToParquet(*engine_, "{\"id\": 7}\n", {{"id", ColumnType::Of(Id::kInt64)}},
                                 "label-test");
  EXPECT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_FALSE(JsonLinesToParquet(*engine_, "{}\n", {}).ok());  // no columns
  auto staging = storage::MakeMemoryObjectStore("neuralake-engine-staging", "");
  ASSERT_TRUE(staging.ok());
  auto left = (*staging)->List("label-test");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty()) << left->front().key;
}

TEST_F(ParquetJsonTest, RowsAsJsonUnifyColumnsByNameAndSkipRowsWhereAColumnIsSet) {
  std::string a = Write("a.parquet",
                        "SELECT 1 AS n, {'x': 1, 'm': MAP {'k': 'v'}} AS s UNION ALL "
                        "SELECT 2, NULL");
  std::string b = Write("b.parquet", "SELECT 3 AS n, 'text' AS t");
  Rows rows;
  ASSERT_TRUE(ReadParquetRowsAsJson(*engine_, {a, b}, "", Collect(&rows)).ok());
  ASSERT_EQ(rows.size(), 3u);
  std::vector<nlohmann::json> parsed;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 1u);
    ASSERT_TRUE(row[0].has_value());
    parsed.push_back(nlohmann::json::parse(*row[0]));
  }
  EXPECT_EQ(parsed[0], nlohmann::json::parse(R"({"n":1,"s":{"x":1,"m":{"k":"v"}},"t":null})"));
  EXPECT_EQ(parsed[1], nlohmann::json::parse(R"({"n":2,"s":null,"t":null})"));
  EXPECT_EQ(parsed[2], nlohmann::json::parse(R"({"n":3,"s":null,"t":"text"})"));

  Rows unset;
  ASSERT_TRUE(ReadParquetRowsAsJson(*engine_, {a, b}, "s", Collect(&unset)).ok());
  ASSERT_EQ(unset.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(*unset[0][0])["n"], 2);
  EXPECT_EQ(nlohmann::json::parse(*unset[1][0])["n"], 3);

  Rows none;
  EXPECT_TRUE(ReadParquetRowsAsJson(*engine_, {}, "", Collect(&none)).ok());
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(ReadParquetRowsAsJson(*engine_, {root_ + "missing.parquet"}, "", Collect(&none))
                   .ok());
}

TEST_F(ParquetJsonTest, StructFieldsAsTextOrJsonMissingFieldsNullWholeStructWhenSet) {
  // Names DuckDB prints quoted (a keyword, a comma, parentheses) must be found too.
  std::string a = Write(
      "a.parquet",
      "SELECT {'path': 'p1', 'size': 10, 'offset': 4, 'a, b': {'x(': 1}, 'm': MAP {'k': 'v'}, "
      "'tags': NULL::MAP(VARCHAR, VARCHAR)} AS add, 1 AS other UNION ALL "
      "SELECT {'path': 'p2', 'size': 20, 'offset': NULL, 'a, b': NULL, 'm': MAP {}, "
      "'tags': MAP {'t': 'u'}}, 2 UNION ALL "
      "SELECT NULL, 3");
  std::string b = Write("b.parquet", "SELECT {'path': 'p3', 'size': 30} AS add");
  StructColumnRead read;
  read.column = "add";
  read.fields = {{"path", false, false}, {"size", false, false}, {"offset", false, false},
                 {"a, b", true, false},  {"m", true, false},     {"absent", false, false}};
  read.whole_as_json_when_set = {"tags", "absent"};
  Rows rows;
  Status status = ReadParquetStructFields(*engine_, {a, b}, read, Collect(&rows));
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(rows.size(), 3u);  // the NULL add row is skipped
  Rows fields;
  for (auto row : rows) {
    ASSERT_EQ(row.size(), 7u);
    row.pop_back();
    fields.push_back(row);
  }
  Rows expected = {
      {"p1", "10", "4", R"({"x(":1})", R"({"k":"v"})", std::nullopt},
      {"p2", "20", std::nullopt, std::nullopt, "{}", std::nullopt},
      {"p3", "30", std::nullopt, std::nullopt, std::nullopt, std::nullopt},
  };
  EXPECT_EQ(fields, expected);
  EXPECT_FALSE(rows[0][6].has_value());
  ASSERT_TRUE(rows[1][6].has_value());
  EXPECT_EQ(nlohmann::json::parse(*rows[1][6])["tags"], nlohmann::json::parse(R"({"t":"u"})"));
  EXPECT_EQ(nlohmann::json::parse(*rows[1][6])["path"], "p2");
  EXPECT_FALSE(rows[2][6].has_value());

  read.fields = {{"path", false, true}, {"absent", false, true}};
  Rows none;
  EXPECT_EQ(ReadParquetStructFields(*engine_, {a, b}, read, Collect(&none)).code(),
            StatusCode::kInvalid);
  EXPECT_TRUE(none.empty());
}

TEST_F(ParquetJsonTest, StructFieldsNotFoundWhenTheColumnIsMissingOrNotAStruct) {
  std::string file = Write("f.parquet", "SELECT 1 AS add, {'x': 1} AS s");
  Rows rows;
  StructColumnRead read;
  read.fields = {{"x", false, false}};
  read.column = "missing";
  EXPECT_EQ(ReadParquetStructFields(*engine_, {file}, read, Collect(&rows)).code(),
            StatusCode::kNotFound);
  read.column = "add";
  EXPECT_EQ(ReadParquetStructFields(*engine_, {file}, read, Collect(&rows)).code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(rows.empty());
  read.column = "s";
  ASSERT_TRUE(ReadParquetStructFields(*engine_, {file}, read, Collect(&rows)).ok());
  EXPECT_EQ(rows, (Rows{{"1"}}));
}

TEST_F(ParquetJsonTest, RowsStreamInBoundedBatchesInFileOrder) {
  std::string a = Write("a.parquet", "SELECT range AS n, {'x': range} AS s FROM range(5000)");
  std::string b = Write("b.parquet", "SELECT range + 5000 AS n, {'x': range + 5000} AS s "
                                     "FROM range(3000)");
  std::vector<size_t> batch_sizes;
  int64_t next = 0;
  StructColumnRead read;
  read.column = "s";
  read.fields = {{"x", false, false}};
  Status status =
      ReadParquetStructFields(*engine_, {a, b}, read, [&](const Table& batch) -> Status {
        batch_sizes.push_back(batch.rows.size());
        for (const auto& row : batch.rows) {
          if (row.at(0) != std::to_string(next)) return Status::Invalid("out of order");
          ++next;
        }
        return Status::OK();
      });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(next, 8000);
  EXPECT_GE(batch_sizes.size(), 4u);
  for (size_t size : batch_sizes) EXPECT_LE(size, 2048u);
}

TEST_F(ParquetJsonTest, ASinkErrorStopsTheReadAndIsReturned) {
  std::string file = Write("f.parquet", "SELECT range AS n, {'x': range} AS s FROM range(10)");
  auto failing = [](const Table&) { return Status::Cancelled("enough"); };
  EXPECT_EQ(ReadParquetRowsAsJson(*engine_, {file}, "", failing).code(), StatusCode::kCancelled);
  StructColumnRead read;
  read.column = "s";
  read.fields = {{"x", false, false}};
  EXPECT_EQ(ReadParquetStructFields(*engine_, {file}, read, failing).code(),
            StatusCode::kCancelled);
}

}  // namespace
}  // namespace neuralake::engine
