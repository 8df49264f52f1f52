#include "neuralake/engine/engine.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "neuralake/engine/glob.h"
#include "neuralake/storage/faulty_object_store.h"
#include "neuralake/storage/forwarding_object_store.h"
#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::engine {
namespace {

// Counts what DuckDB asks of the store: how many ranged GETs and how many bytes they fetch.
class CountingObjectStore : public storage::ForwardingObjectStore {
 public:
  explicit CountingObjectStore(std::shared_ptr<storage::ObjectStore> wrapped)
      : ForwardingObjectStore(std::move(wrapped)) {}
  Result<std::string> Get(std::string_view key) override {
    whole_gets.fetch_add(1);
    return target().Get(key);
  }
  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override {
    ranged_gets.fetch_add(1);
    auto bytes = target().GetRange(key, offset, length);
    if (bytes.ok()) bytes_read.fetch_add(static_cast<int64_t>(bytes->size()));
    return bytes;
  }
  void Reset() {
    whole_gets = 0;
    ranged_gets = 0;
    bytes_read = 0;
  }

  std::atomic<int64_t> whole_gets{0};
  std::atomic<int64_t> ranged_gets{0};
  std::atomic<int64_t> bytes_read{0};
};

TEST(EngineTest, QueriesAndRendersCells) {
  auto engine = Engine::Make({});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  auto table = (*engine)->Query("SELECT 42 AS answer, NULL::VARCHAR AS nothing, 'x''y' AS quoted");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  ASSERT_EQ(table->columns.size(), 3u);
  EXPECT_EQ(table->columns[0].name, "answer");
  EXPECT_EQ(table->columns[0].type, "INTEGER");
  ASSERT_EQ(table->NumRows(), 1);
  EXPECT_EQ(table->rows[0][0], "42");
  EXPECT_FALSE(table->rows[0][1].has_value());
  EXPECT_EQ(table->rows[0][2], "x'y");
  EXPECT_EQ(table->ColumnIndex("quoted"), 2);
  EXPECT_EQ(table->ColumnIndex("missing"), -1);
}

TEST(EngineTest, SqlErrorsAreInvalidWithDuckDBsMessage) {
  auto engine = Engine::Make({});
  ASSERT_TRUE(engine.ok());
  auto syntax = (*engine)->Query("SELEC 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), StatusCode::kInvalid);
  EXPECT_NE(syntax.status().message().find("syntax error"), std::string::npos)
      << syntax.status().message();
  auto missing = (*engine)->Query("SELECT * FROM no_such_table");
  EXPECT_NE(missing.status().message().find("no_such_table"), std::string::npos);
}

TEST(EngineTest, NoExtensionIsAutoInstalled) {
  auto engine = Engine::Make({});
  ASSERT_TRUE(engine.ok());
  auto setting = (*engine)->Query(
      "SELECT value FROM duckdb_settings() WHERE name = 'autoinstall_known_extensions'");
  ASSERT_TRUE(setting.ok());
  ASSERT_EQ(setting->NumRows(), 1);
  EXPECT_EQ(setting->rows[0][0], "false");
}

TEST(EngineTest, QuotingHelpers) {
  EXPECT_EQ(Engine::QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(Engine::QuoteLiteral("it's"), "'it''s'");
}

TEST(EngineTest, ParquetRoundTripThroughMemoryStoreWithStats) {
  auto engine = Engine::Make({});
  ASSERT_TRUE(engine.ok());
  std::string root = "memory://" + testing::UniqueName("engine");
  auto files = (*engine)->CopyWithStats(
      "COPY (SELECT range AS id, range % 3 AS bucket, CASE WHEN range % 10 = 0 THEN NULL "
      "ELSE 'v' || range END AS label FROM range(1000)) TO '" + root +
      "/t' (FORMAT parquet, PARTITION_BY (bucket), RETURN_STATS)");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 3u);
  int64_t rows = 0;
  for (const auto& file : *files) {
    rows += file.num_rows;
    EXPECT_GT(file.size_bytes, 0);
    ASSERT_EQ(file.partition_values.size(), 1u);
    EXPECT_EQ(file.partition_values[0].first, "bucket");
    bool saw_id = false;
    for (const auto& column : file.columns) {
      if (column.column == "id") {
        saw_id = true;
        EXPECT_TRUE(column.min.has_value());
        EXPECT_EQ(column.null_count, 0);
      }
      if (column.column == "label") EXPECT_GT(column.null_count.value_or(0), 0);
    }
    EXPECT_TRUE(saw_id);
  }
  EXPECT_EQ(rows, 1000);
  auto read = (*engine)->Query("SELECT count(*), sum(id), count(label) FROM read_parquet('" +
                               root + "/t/**/*.parquet') WHERE id >= 500");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->rows[0][0], "500");
  EXPECT_EQ(read->rows[0][1], std::to_string((500 + 999) * 500 / 2));
  EXPECT_EQ(read->rows[0][2], "450");
}

// The selective-read proof: a filter on a sorted key fetches the footer and the matching row
// group, not the file. Runs on memory and on MinIO.
void CheckSelectiveScanFetchesLittle(const std::string& root,
                                     const storage::StorageOptions& storage_options) {
  auto counter = std::make_shared<std::shared_ptr<CountingObjectStore>>();
  EngineOptions options;
  options.storage = storage_options;
  options.store_opener = [storage_options, counter](const storage::Location& location)
      -> Result<std::shared_ptr<storage::ObjectStore>> {
    NL_ASSIGN_OR_RETURN(auto store, storage::OpenObjectStore(location, storage_options));
    *counter = std::make_shared<CountingObjectStore>(std::move(store));
    return std::shared_ptr<storage::ObjectStore>(*counter);
  };
  auto engine = Engine::Make(options);
  ASSERT_TRUE(engine.ok());
  std::string file = root + "/sorted.parquet";
  ASSERT_TRUE((*engine)
                  ->Execute("COPY (SELECT range AS key, md5(range::VARCHAR) AS payload, "
                            "random() AS noise FROM range(1000000)) TO '" + file +
                            "' (FORMAT parquet, ROW_GROUP_SIZE 100000)")
                  .ok());
  ASSERT_NE(*counter, nullptr);
  auto size = (*counter)->Head(file.substr(file.find("://") + 3).substr(
      file.substr(file.find("://") + 3).find('/') + 1));
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  (*counter)->Reset();
  auto result = (*engine)->Query("SELECT count(*), min(payload) FROM read_parquet('" + file +
                                 "') WHERE key BETWEEN 420000 AND 420009");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->rows[0][0], "10");
  int64_t gets = (*counter)->ranged_gets.load();
  int64_t bytes = (*counter)->bytes_read.load();
  std::printf("selective scan on %s: %lld ranged GETs, %lld of %lld bytes (%.1f%%)\n",
              root.c_str(), static_cast<long long>(gets), static_cast<long long>(bytes),
              static_cast<long long>(size->size), 100.0 * bytes / size->size);
  EXPECT_EQ((*counter)->whole_gets.load(), 0);
  EXPECT_LE(gets, 6) << "footer + one row group's column chunks";
  EXPECT_LT(bytes * 100 / size->size, 20) << "must read well under the whole file";
}

TEST(EngineTest, SelectiveScanFetchesFooterAndMatchingRowGroupOnly) {
  CheckSelectiveScanFetchesLittle("memory://" + testing::UniqueName("selective"), {});
}

TEST(EngineTest, SelectiveScanOnMinio) {
  CheckSelectiveScanFetchesLittle(
      "s3://" + testing::TestBucket() + "/" + testing::UniqueName("engine-selective"),
      testing::LocalServiceStorageOptions());
}

TEST(EngineTest, GlobListsMatchingObjects) {
  auto engine = Engine::Make({});
  ASSERT_TRUE(engine.ok());
  std::string root = "memory://" + testing::UniqueName("glob");
  for (const char* name : {"a/x.parquet", "a/y.parquet", "b/z.parquet", "a/notes.txt"}) {
    ASSERT_TRUE((*engine)
                    ->Execute("COPY (SELECT 1 AS one) TO '" + root + "/" + name +
                              "' (FORMAT parquet)")
                    .ok());
  }
  auto count = (*engine)->Query("SELECT count(*) FROM read_parquet('" + root + "/a/*.parquet')");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(count->rows[0][0], "2");
  auto all = (*engine)->Query("SELECT count(*) FROM read_parquet('" + root + "/**/*.parquet')");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->rows[0][0], "3");
  auto missing = (*engine)->Query("SELECT * FROM read_parquet('" + root + "/nope.parquet')");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos)
      << missing.status().message();
}

TEST(GlobMatchTest, Patterns) {
  EXPECT_TRUE(GlobMatch("t/*.parquet", "t/a.parquet"));
  EXPECT_FALSE(GlobMatch("t/*.parquet", "t/x/a.parquet"));
  EXPECT_TRUE(GlobMatch("t/**/*.parquet", "t/x/y/a.parquet"));
  EXPECT_TRUE(GlobMatch("t/**/*.parquet", "t/a.parquet"));
  EXPECT_TRUE(GlobMatch("t/p=?/f", "t/p=1/f"));
  EXPECT_TRUE(GlobMatch("t/[ab].csv", "t/b.csv"));
  EXPECT_FALSE(GlobMatch("t/[!ab].csv", "t/b.csv"));
}

}  // namespace
}  // namespace neuralake::engine

namespace neuralake::engine {
namespace {

TEST(EngineBatchTest, LoadsColumnBatchesWithNulls) {
  auto engine = Engine::Make({});
  ASSERT_TRUE(engine.ok());
  ColumnBatch batch;
  batch.num_rows = 5000;  // more than one DuckDB vector
  ColumnData id{"id", ColumnKind::kInt64};
  ColumnData name{"name", ColumnKind::kString};
  ColumnData score{"score", ColumnKind::kDouble};
  ColumnData ts{"ts", ColumnKind::kTimestampMicros};
  for (int64_t i = 0; i < batch.num_rows; ++i) {
    id.ints.push_back(i);
    name.strings.push_back("user-" + std::to_string(i % 7) + std::string(i % 3 * 10, 'x'));
    name.valid.push_back(i % 5 != 0);
    score.doubles.push_back(i * 0.5);
    ts.ints.push_back(1'700'000'000'000'000LL + i);
  }
  batch.columns = {id, name, score, ts};
  ASSERT_TRUE((*engine)->LoadBatches("batch_t", {&batch, &batch}).ok());
  auto result = (*engine)->Query(
      "SELECT count(*), count(name), sum(score), min(ts)::VARCHAR, max(length(name)) "
      "FROM batch_t");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->rows[0][0], "10000");
  EXPECT_EQ(result->rows[0][1], "8000");
  EXPECT_DOUBLE_EQ(std::stod(*result->rows[0][2]), 2 * 0.5 * 4999 * 5000 / 2);
  EXPECT_EQ(result->rows[0][3]->substr(0, 10), "2023-11-14");
  EXPECT_EQ(result->rows[0][4], "26");
  ASSERT_TRUE((*engine)->DropTable("batch_t").ok());
  EXPECT_FALSE((*engine)->Query("SELECT * FROM batch_t").ok());
}

// ---- the JSON / CSV renderer ----

// One row of `sql` rendered as `cells`, by column name.
std::map<std::string, std::optional<std::string>> RenderRow(Engine& engine, const std::string& sql,
                                                            CellEncoding cells) {
  QueryOptions options;
  options.cells = cells;
  auto outcome = engine.RunQuery(sql, options);
  EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
  std::map<std::string, std::optional<std::string>> row;
  if (!outcome.ok() || outcome->table.rows.size() != 1) return row;
  for (size_t i = 0; i < outcome->table.columns.size(); ++i) {
    row[outcome->table.columns[i].name] = outcome->table.rows[0][i];
  }
  return row;
}

TEST(JsonEncodingTest, NumbersAreExactAndNonFiniteFloatsAreStrings) {
  auto engine = Engine::Make({}).value();
  auto row = RenderRow(
      *engine,
      "SELECT 9999999999999999999999999999.9999999999::DECIMAL(38,10) AS d38, "
      "-0.05::DECIMAL(4,2) AS small, 170141183460469231731687303715884105727::HUGEINT AS huge, "
      "(-128)::TINYINT AS i8, (-32768)::SMALLINT AS i16, 2147483647::INTEGER AS i32, "
      "(-9223372036854775808)::BIGINT AS i64, 18446744073709551615::UBIGINT AS u64, "
      "0.1::DOUBLE AS d, 1e28::DOUBLE AS big, 0.1::FLOAT AS f, '-0.0'::DOUBLE AS negzero, "
      "'nan'::DOUBLE AS nan, 'inf'::FLOAT AS inf, '-inf'::DOUBLE AS ninf, true AS yes, "
      "NULL::INTEGER AS nothing",
      CellEncoding::kJson);
  EXPECT_EQ(row["d38"], "9999999999999999999999999999.9999999999");
  EXPECT_EQ(row["small"], "-0.05");
  EXPECT_EQ(row["huge"], "170141183460469231731687303715884105727");
  EXPECT_EQ(row["i8"], "-128");
  EXPECT_EQ(row["i16"], "-32768");
  EXPECT_EQ(row["i32"], "2147483647");
  EXPECT_EQ(row["i64"], "-9223372036854775808");
  EXPECT_EQ(row["u64"], "18446744073709551615");
  EXPECT_EQ(row["d"], "0.1");
  EXPECT_EQ(row["big"], "1e+28");
  EXPECT_EQ(row["f"], "0.1");
  EXPECT_EQ(row["negzero"], "-0.0");
  EXPECT_EQ(row["nan"], "\"NaN\"");
  EXPECT_EQ(row["inf"], "\"Infinity\"");
  EXPECT_EQ(row["ninf"], "\"-Infinity\"");
  EXPECT_EQ(row["yes"], "true");
  EXPECT_EQ(row["nothing"], std::nullopt);
}

TEST(JsonEncodingTest, TextBinaryAndTimes) {
  auto engine = Engine::Make({}).value();
  auto row = RenderRow(
      *engine,
      "SELECT 'a\"b\\c' || chr(10) || chr(1) || 'é😀' AS s, '' AS empty, "
      "'\\xDE\\xAD\\xBE\\xEF'::BLOB AS b4, 'ab'::BLOB AS b2, ''::BLOB AS b0, "
      "DATE '2024-01-02' AS day, 'infinity'::DATE AS forever, "
      "TIMESTAMPTZ '2024-01-02 03:04:05.123456+00' AS tz, "
      "TIMESTAMP '1969-12-31 23:59:59.5' AS ntz, "
      "TIMESTAMP_NS '2024-01-02 03:04:05.123456789' AS ns, "
      "TIMESTAMP_MS '2024-01-02 03:04:05.123' AS ms, TIMESTAMP_S '2024-01-02 03:04:05' AS sec, "
      "DATE '0001-01-01' AS first_day, INTERVAL 1 DAY AS span, '{\"k\": [1, 2]}'::JSON AS j",
      CellEncoding::kJson);
  EXPECT_EQ(row["s"], "\"a\\\"b\\\\c\\n\\u0001é😀\"");
  EXPECT_EQ(row["empty"], "\"\"");
  EXPECT_EQ(row["b4"], "\"3q2+7w==\"");
  EXPECT_EQ(row["b2"], "\"YWI=\"");
  EXPECT_EQ(row["b0"], "\"\"");
  EXPECT_EQ(row["day"], "\"2024-01-02\"");
  EXPECT_EQ(row["forever"], "\"infinity\"");
  EXPECT_EQ(row["tz"], "\"2024-01-02T03:04:05.123456Z\"");
  EXPECT_EQ(row["ntz"], "\"1969-12-31T23:59:59.500000\"");
  EXPECT_EQ(row["ns"], "\"2024-01-02T03:04:05.123456789\"");
  EXPECT_EQ(row["ms"], "\"2024-01-02T03:04:05.123\"");
  EXPECT_EQ(row["sec"], "\"2024-01-02T03:04:05\"");
  EXPECT_EQ(row["first_day"], "\"0001-01-01\"");
  EXPECT_EQ(row["span"], "\"1 day\"");
  EXPECT_EQ(row["j"], "{\"k\": [1, 2]}");
}

TEST(JsonEncodingTest, NestedValuesKeepNullsDistinctFromTheStringNull) {
  auto engine = Engine::Make({}).value();
  auto row = RenderRow(
      *engine,
      "SELECT {'a': NULL, 'b': 'NULL', 'c': [1, NULL]} AS s, [NULL, 'NULL', ''] AS l, "
      "MAP {'k': 1.5::DOUBLE, 'z': NULL} AS m, MAP {1: 'x', 2: NULL} AS mi, "
      "[{'x': ['inf'::DOUBLE], 'y': MAP {'q': [DATE '2024-01-02']}}] AS deep, "
      "NULL::STRUCT(a INTEGER) AS null_struct, []::INTEGER[] AS empty_list, "
      "[1, 2]::INTEGER[2] AS fixed",
      CellEncoding::kJson);
  EXPECT_EQ(row["s"], "{\"a\":null,\"b\":\"NULL\",\"c\":[1,null]}");
  EXPECT_EQ(row["l"], "[null,\"NULL\",\"\"]");
  EXPECT_EQ(row["m"], "{\"k\":1.5,\"z\":null}");
  EXPECT_EQ(row["mi"], "{\"1\":\"x\",\"2\":null}");
  EXPECT_EQ(row["deep"], "[{\"x\":[\"Infinity\"],\"y\":{\"q\":[\"2024-01-02\"]}}]");
  EXPECT_EQ(row["null_struct"], std::nullopt);
  EXPECT_EQ(row["empty_list"], "[]");
  EXPECT_EQ(row["fixed"], "[1,2]");
  // Every line a strict JSON parser accepts (no NaN/Infinity literals), with the numbers exact.
  std::vector<std::string> names;
  std::vector<std::optional<std::string>> cells;
  for (const auto& [name, cell] : row) {
    names.push_back(name);
    cells.push_back(cell);
  }
  std::string line = JsonObjectLine(names, cells);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto parsed = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << line;
  EXPECT_TRUE(parsed["s"]["a"].is_null());
  EXPECT_EQ(parsed["s"]["b"], "NULL");
  EXPECT_TRUE(parsed["null_struct"].is_null());
}

TEST(JsonEncodingTest, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(JsonString("ok\xff\xc3"), "\"ok\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonString("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // a surrogate
  EXPECT_EQ(JsonString("tab\tq\"/"), "\"tab\\tq\\\"/\"");
}

TEST(CsvEncodingTest, NullIsEmptyEmptyStringIsQuotedNestedIsJson) {
  auto engine = Engine::Make({}).value();
  auto row = RenderRow(*engine,
                       "SELECT NULL::VARCHAR AS n, '' AS e, 'a,b' AS comma, ' x' AS edge, "
                       "{'a': NULL, 'b': 'NULL'} AS s, 'ab\\x00'::BLOB AS b, 'nan'::DOUBLE AS nan, "
                       "TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tz, 12.50::DECIMAL(5,2) AS dec",
                       CellEncoding::kCsv);
  EXPECT_EQ(CsvField(row["n"]), "");
  EXPECT_EQ(CsvField(row["e"]), "\"\"");
  EXPECT_EQ(CsvField(row["comma"]), "\"a,b\"");
  EXPECT_EQ(CsvField(row["edge"]), "\" x\"");
  EXPECT_EQ(row["s"], "{\"a\":null,\"b\":\"NULL\"}");
  EXPECT_EQ(CsvField(row["s"]), "\"{\"\"a\"\":null,\"\"b\"\":\"\"NULL\"\"}\"");
  EXPECT_EQ(row["b"], "ab\\x00");
  EXPECT_EQ(row["nan"], "NaN");
  EXPECT_EQ(row["tz"], "2024-01-02T03:04:05.000000Z");
  EXPECT_EQ(row["dec"], "12.50");
  EXPECT_EQ(CsvLine({std::nullopt, std::string(""), std::string("x")}), ",\"\",x\n");
}

TEST(EngineExportTest, JsonAndCsvFilesUseTheRenderer) {
  auto engine = Engine::Make({}).value();
  std::string root = "memory://" + testing::UniqueName("export");
  std::string sql =
      "SELECT 9999999999999999999999999999.9999999999::DECIMAL(38,10) AS d, 'nan'::DOUBLE AS f, "
      "{'a': NULL, 'b': ''} AS s, 1 AS x, 2 AS x";
  ASSERT_TRUE(engine->ExportQuery(sql, {}, root + "/out.json", "ndjson").ok());
  ASSERT_TRUE(engine->ExportQuery(sql, {}, root + "/out.csv", "csv").ok());
  auto read = [](const std::string& uri) {
    auto object = storage::OpenObjectStoreForKey(uri, {}).value();
    return object.store->Get(object.key).value();
  };
  EXPECT_EQ(read(root + "/out.json"),
            "{\"d\":9999999999999999999999999999.9999999999,\"f\":\"NaN\","
            "\"s\":{\"a\":null,\"b\":\"\"},\"x\":1,\"x_1\":2}\n");
  EXPECT_EQ(read(root + "/out.csv"),
            "d,f,s,x,x_1\n9999999999999999999999999999.9999999999,NaN,"
            "\"{\"\"a\"\":null,\"\"b\"\":\"\"\"\"}\",1,2\n");
  // No rows: CSV still has its header, JSON lines is empty.
  ASSERT_TRUE(engine->ExportQuery("SELECT 1 AS a WHERE false", {}, root + "/none.csv", "csv").ok());
  EXPECT_EQ(read(root + "/none.csv"), "a\n");
  EXPECT_FALSE(engine->ExportQuery(sql, {}, root + "/out.xml", "xml").ok());
}

// ---- errors and the restricted surface ----

TEST(EngineErrorTest, DuckDBErrorsAreOneLineWithThePosition) {
  auto engine = Engine::Make({}).value();
  auto binder = engine->RunQuery("SELECT\n  nope FROM (SELECT 1 AS yes, 2 AS yet)", {});
  ASSERT_FALSE(binder.ok());
  std::string message = binder.status().message();
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(message.find("nope"), std::string::npos) << message;
  EXPECT_NE(message.find("(line 2, column 3)"), std::string::npos) << message;
  // Candidate function lists come as one line too.
  auto function = engine->RunQuery("SELECT substring(1, 2, 3, 4)", {});
  ASSERT_FALSE(function.ok());
  EXPECT_EQ(function.status().message().find('\n'), std::string::npos)
      << function.status().message();
  auto syntax = engine->Query("SELEC 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().message().find('\n'), std::string::npos);
  EXPECT_NE(syntax.status().message().find("syntax error"), std::string::npos);
}

TEST(EngineErrorTest, SelectOnlyRefusesPragmasThatDuckDBRewritesIntoSelects) {
  auto engine = Engine::Make({}).value();
  QueryOptions options;
  options.select_only = true;
  for (const char* sql : {"PRAGMA database_list", "PRAGMA version", "PRAGMA show_tables",
                          "pragma table_info('x')", "CALL pragma_version()"}) {
    auto outcome = engine->RunQuery(sql, options);
    EXPECT_FALSE(outcome.ok()) << sql;
    if (!outcome.ok()) EXPECT_EQ(outcome.status().code(), StatusCode::kInvalid) << sql;
  }
  EXPECT_TRUE(engine->RunQuery("SELECT 1", options).ok());
  EXPECT_TRUE(engine->RunQuery("EXPLAIN SELECT 1", options).ok());
}

TEST(EngineRestrictedTest, NoRelativeDirectoryIsReadable) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / testing::UniqueName("nl-cwd");
  fs::create_directories(dir / ".tmp");
  fs::create_directories(dir / "data");
  std::ofstream(dir / ".tmp" / "x.csv") << "a\n1\n";
  fs::path previous = fs::current_path();
  fs::current_path(dir);
  EngineOptions options;
  options.restricted = true;
  options.allowed_directories = {(dir / "data").string()};
  auto engine = Engine::Make(options);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  auto relative = (*engine)->Query("SELECT * FROM read_csv('.tmp/x.csv')");
  auto setting = (*engine)->Query("SELECT current_setting('allowed_directories')::VARCHAR");
  fs::current_path(previous);
  EXPECT_FALSE(relative.ok()) << "read a file under the current directory";
  ASSERT_TRUE(setting.ok()) << setting.status().ToString();
  std::string allowed = setting->rows.at(0).at(0).value_or("");
  EXPECT_EQ(allowed.find(".tmp"), std::string::npos) << allowed;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace neuralake::engine

namespace neuralake::engine {
namespace {

// A store failure (retries spent) surfaces as IOError, so callers retry it; a bad query stays
// Invalid.
TEST(EngineErrorTest, StoreFailuresAreIOErrorsNotInvalid) {
  std::atomic<bool> failing{false};
  EngineOptions options;
  options.store_opener = [&failing](const storage::Location& location)
      -> Result<std::shared_ptr<storage::ObjectStore>> {
    NL_ASSIGN_OR_RETURN(auto store, storage::OpenObjectStore(location, {}));
    return std::shared_ptr<storage::ObjectStore>(std::make_shared<storage::FaultyObjectStore>(
        std::move(store), [&failing](storage::StoreOperation operation, std::string_view) {
          if (failing && operation == storage::StoreOperation::kGetRange) {
            return Status::IOError("connection refused (after 7 attempts)");
          }
          return Status::OK();
        }));
  };
  auto engine = Engine::Make(options);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  std::string file = "memory://" + testing::UniqueName("io-error") + "/t.parquet";
  ASSERT_TRUE((*engine)->Execute("COPY (SELECT range AS id FROM range(10)) TO '" + file +
                                 "' (FORMAT parquet)").ok());
  failing = true;
  auto read = (*engine)->Query("SELECT count(*) FROM read_parquet('" + file + "')");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kIOError) << read.status().ToString();
  auto bad = (*engine)->Query("SELECT nope FROM range(1)");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalid);
}

}  // namespace
}  // namespace neuralake::engine
