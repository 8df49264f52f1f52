#include "neuralake/sql/query_service.h"

#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "neuralake/common/time.h"
#include "neuralake/delta/writer.h"

namespace neuralake::sql {
namespace {

namespace fs = std::filesystem;

// A local fixture: demo.trips partitioned by city (4 cities, several commits so each partition
// holds several files), and demo.readings unpartitioned with ids clustered per file.
class QueryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("nl_sql_test_" + std::to_string(::getpid()) + "_" +
             std::to_string(std::random_device{}()));
    fs::create_directories(root_);
    trips_uri_ = (root_ / "trips").string();
    readings_uri_ = (root_ / "readings").string();

    auto trips = delta::DeltaTable::Open(trips_uri_).value();
    delta::CreateTableOptions create;
    create.partition_columns = {"city"};
    create.source = delta::DataSource::FromQuery(Trips(0));
    ASSERT_TRUE(delta::CreateTable(*trips, create).ok());
    for (int batch = 1; batch < 5; ++batch) {
      ASSERT_TRUE(delta::Append(*trips, delta::DataSource::FromQuery(Trips(batch))).ok());
    }
    // readings: 10 files, file k holds ids [1000k, 1000k + 999].
    auto readings = delta::DeltaTable::Open(readings_uri_).value();
    delta::CreateTableOptions create_readings;
    create_readings.source = delta::DataSource::FromQuery(Readings(0));
    ASSERT_TRUE(delta::CreateTable(*readings, create_readings).ok());
    for (int k = 1; k < 10; ++k) {
      ASSERT_TRUE(delta::Append(*readings, delta::DataSource::FromQuery(Readings(k))).ok());
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  static std::string Trips(int batch) {
    return "SELECT (i + " + std::to_string(batch * 1000) +
           ")::BIGINT AS id, ['paris','rome','oslo','lima'][(i % 4) + 1] AS city, "
           "(i * 1.5)::DOUBLE AS fare, DATE '2024-01-01' + (i % 30)::INTEGER AS day "
           "FROM range(1000) t(i)";
  }
  static std::string Readings(int k) {
    return "SELECT (i + " + std::to_string(k * 1000) +
           ")::BIGINT AS id, (i % 7)::INTEGER AS sensor, "
           "CASE WHEN i % 10 = 0 THEN NULL ELSE i::VARCHAR END AS note, "
           "TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i + " + std::to_string(k * 1000) +
           ") AS ts FROM range(1000) t(i)";
  }

  catalog::Catalog MakeCatalog() {
    catalog::Catalog catalog;
    catalog.Database("demo").AddDeltaTable("trips", trips_uri_).AddDeltaTable("readings",
                                                                              readings_uri_);
    return catalog;
  }
  std::unique_ptr<QueryService> Service(QueryServiceOptions options = {}) {
    options.threads = 2;
    auto service = QueryService::Make(MakeCatalog(), options);
    EXPECT_TRUE(service.ok()) << service.status().ToString();
    return std::move(service).value();
  }
  static std::string Scalar(const engine::QueryOutcome& outcome) {
    EXPECT_EQ(outcome.table.rows.size(), 1u);
    return outcome.table.rows.at(0).at(0).value_or("NULL");
  }

  fs::path root_;
  std::string trips_uri_;
  std::string readings_uri_;
};

TEST_F(QueryServiceTest, CatalogNamesResolveToLakeScans) {
  auto service = Service();
  auto outcome = service->Query("SELECT count(*), sum(id) FROM demo.trips");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->table.rows[0][0], "5000");
  // sum over batches b of sum(i + 1000b) for i < 1000 = 5 * 499500 + 1000 * 1000 * (0+1+2+3+4)
  EXPECT_EQ(outcome->table.rows[0][1], std::to_string(5 * 499500LL + 1000LL * 1000 * 10));
  ASSERT_EQ(outcome->scans.size(), 1u);
  EXPECT_EQ(outcome->scans[0].table, "demo.trips");
  EXPECT_EQ(outcome->scans[0].files_read, outcome->scans[0].files_total);

  // The unqualified name works while it is unambiguous; partition values are typed columns.
  auto by_city = service->Query(
      "SELECT city, count(*) AS n, min(day) FROM trips GROUP BY city ORDER BY city");
  ASSERT_TRUE(by_city.ok()) << by_city.status().ToString();
  ASSERT_EQ(by_city->table.rows.size(), 4u);
  EXPECT_EQ(by_city->table.rows[0][0], "lima");
  EXPECT_EQ(by_city->table.rows[0][1], "1250");
  EXPECT_EQ(by_city->table.columns[2].type, "DATE");
}

TEST_F(QueryServiceTest, PartitionFilterPrunesFilesAndMatchesUnprunedResult) {
  auto service = Service();
  const std::string sql = "SELECT count(*), sum(fare) FROM demo.trips WHERE city = 'rome'";
  auto pruned = service->Query(sql);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  ASSERT_EQ(pruned->scans.size(), 1u);
  const auto& scan = pruned->scans[0];
  EXPECT_GT(scan.files_total, 0);
  EXPECT_EQ(scan.files_read * 4, scan.files_total) << scan.ToString();
  EXPECT_EQ(scan.files_pruned_by_partition, scan.files_total - scan.files_read);

  QueryServiceOptions no_pruning;
  no_pruning.prune_files = false;
  auto full = Service(no_pruning)->Query(sql);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->scans[0].files_read, full->scans[0].files_total);
  EXPECT_EQ(full->table.rows, pruned->table.rows);
  EXPECT_EQ(pruned->table.rows[0][0], "1250");
}

TEST_F(QueryServiceTest, StatisticsSkipFilesOnAClusteredColumn) {
  auto service = Service();
  const std::string sql =
      "SELECT count(*), count(note), max(sensor) FROM demo.readings WHERE id BETWEEN 3100 AND 3200";
  auto pruned = service->Query(sql);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  const auto& scan = pruned->scans.at(0);
  EXPECT_EQ(scan.files_total, 10);
  EXPECT_EQ(scan.files_read, 1) << scan.ToString();
  EXPECT_EQ(scan.files_pruned_by_stats, 9);
  EXPECT_EQ(pruned->table.rows[0][0], "101");

  QueryServiceOptions no_pruning;
  no_pruning.prune_files = false;
  auto full = Service(no_pruning)->Query(sql);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->table.rows, pruned->table.rows);

  // Timestamp statistics (written with millisecond precision) skip files too.
  auto by_time = service->Query(
      "SELECT count(*) FROM demo.readings WHERE ts >= TIMESTAMPTZ '2024-01-01 02:30:00+00' "
      "AND ts < TIMESTAMPTZ '2024-01-01 02:31:00+00'");
  ASSERT_TRUE(by_time.ok()) << by_time.status().ToString();
  EXPECT_EQ(Scalar(*by_time), "60");
  EXPECT_EQ(by_time->scans.at(0).files_read, 1) << by_time->scans.at(0).ToString();

  // IS NULL uses nullCount: every file has NULL notes, none can be skipped; a range beyond the
  // data skips all.
  auto none = service->Query("SELECT count(*) FROM demo.readings WHERE id > 1000000");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->scans.at(0).files_read, 0);
  EXPECT_EQ(Scalar(*none), "0");
}

TEST_F(QueryServiceTest, TimeTravelBySqlEqualsSnapshotRead) {
  auto service = Service();
  auto v0 = service->Query("SELECT count(*) FROM delta_at('demo.trips', 0)");
  ASSERT_TRUE(v0.ok()) << v0.status().ToString();
  EXPECT_EQ(Scalar(*v0), "1000");
  auto v2 = service->Query("SELECT count(*) FROM lake_scan('demo.trips', version => 2)");
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(Scalar(*v2), "3000");
  EXPECT_EQ(v2->scans.at(0).version, 2);

  // By timestamp: a time after the last commit reads the latest version.
  auto later = service->Query(
      "SELECT count(*) FROM delta_at('demo.trips', TIMESTAMP '2999-01-01 00:00:00')");
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(Scalar(*later), "5000");
  auto before = service->Query(
      "SELECT count(*) FROM delta_at('demo.trips', TIMESTAMP '2000-01-01 00:00:00')");
  ASSERT_FALSE(before.ok());
  EXPECT_NE(before.status().message().find("before"), std::string::npos)
      << before.status().ToString();
  auto missing = service->Query("SELECT count(*) FROM delta_at('demo.trips', 99)");
  ASSERT_FALSE(missing.ok());
}

TEST_F(QueryServiceTest, SnapshotCacheRefreshesOnlyWithNewCommits) {
  auto service = Service();
  ASSERT_TRUE(service->Query("SELECT count(*) FROM demo.trips").ok());
  ASSERT_TRUE(service->Query("SELECT count(*) FROM demo.trips").ok());
  CacheStats stats = service->cache_stats();
  EXPECT_EQ(stats.full_loads, 1);
  EXPECT_GE(stats.unchanged, 1);
  EXPECT_EQ(stats.refreshes, 0);

  auto trips = delta::DeltaTable::Open(trips_uri_).value();
  ASSERT_TRUE(delta::Append(*trips, delta::DataSource::FromQuery(Trips(7))).ok());
  auto after = service->Query("SELECT count(*) FROM demo.trips");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Scalar(*after), "6000");
  stats = service->cache_stats();
  EXPECT_EQ(stats.full_loads, 1);
  EXPECT_EQ(stats.refreshes, 1);
}

// The Delta provider through the service's Describe and Scan: figures agree with SQL.
TEST_F(QueryServiceTest, DeltaDescribeAndScanAgreeWithSql) {
  auto service = Service();
  auto latest = service->Describe("demo.trips");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->kind, "delta");
  EXPECT_EQ(latest->version, std::optional<int64_t>(4));
  EXPECT_EQ(latest->partitions, std::vector<std::string>{"city"});
  EXPECT_EQ(latest->rows, std::optional<int64_t>(5000));
  auto files = service->Query("SELECT count(DISTINCT filename) FROM read_parquet('" + trips_uri_ +
                              "/**/*.parquet', filename = true)");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(std::to_string(latest->files.value_or(-1)), Scalar(*files));
  auto v0 = service->Describe("trips", {0, std::nullopt});
  ASSERT_TRUE(v0.ok()) << v0.status().ToString();
  EXPECT_EQ(v0->version, std::optional<int64_t>(0));
  EXPECT_EQ(v0->rows, std::optional<int64_t>(1000));

  engine::ScanRequest request;
  request.columns = {"fare", "city"};
  request.filters = {{"city", engine::ScanFilter::Op::kEqual, engine::QueryParam(std::string("rome")), {}}};
  int64_t rows = 0;
  auto scanned = service->Scan("demo.trips", {2, std::nullopt}, request,
                               [&](const engine::RecordBatch& batch) -> Status {
                                 rows += batch.num_rows;
                                 return Status::OK();
                               });
  ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
  auto expected = service->Query("SELECT count(*) FROM delta_at('demo.trips', 2) WHERE city = 'rome'");
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  EXPECT_EQ(std::to_string(rows), Scalar(*expected));
  EXPECT_GT(rows, 0);
  ASSERT_FALSE(scanned->scans.empty());
  EXPECT_GT(scanned->scans[0].files_pruned_by_partition, 0);
}

TEST_F(QueryServiceTest, SafeSurfaceRefusesEverythingButCatalogReads) {
  auto service = Service();
  const char* refused[] = {
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_text('/etc/hostname')",
      "COPY (SELECT 1) TO '/tmp/nl_should_not_exist.csv'",
      "INSTALL httpfs",
      "LOAD httpfs",
      "ATTACH '/tmp/nl_x.db' AS x",
      "SET threads = 1",
      "PRAGMA threads = 1",
      "CREATE TABLE t AS SELECT 1",
      "DROP MACRO delta_at",
      "SELECT 1; SELECT 2",
  };
  for (const char* sql : refused) {
    auto outcome = service->Query(sql);
    EXPECT_FALSE(outcome.ok()) << sql;
    if (!outcome.ok()) {
      EXPECT_EQ(outcome.status().code(), StatusCode::kInvalid) << sql << ": "
                                                               << outcome.status().ToString();
    }
  }
  EXPECT_FALSE(fs::exists("/tmp/nl_should_not_exist.csv"));
  // Reading a table's data files directly is allowed only inside catalog locations.
  auto outside = service->Query("SELECT * FROM read_parquet('" + root_.string() + "/*/*.parquet')");
  EXPECT_FALSE(outside.ok());
  // Catalog reads still work afterwards.
  auto ok = service->Query("SELECT count(*) FROM demo.readings");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(Scalar(*ok), "10000");
}

TEST_F(QueryServiceTest, RunawayQueryIsCancelledAtTheTimeout) {
  QueryServiceOptions options;
  options.timeout_ms = 300;
  auto service = Service(options);
  auto start = std::chrono::steady_clock::now();
  auto outcome = service->Query(
      "SELECT count(*) FROM range(100000000000) a, demo.readings b WHERE a.range % 7 = b.id");
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kCancelled) << outcome.status().ToString();
  EXPECT_LT(seconds, 30.0);
}

TEST_F(QueryServiceTest, RowLimitTruncates) {
  QueryServiceOptions options;
  options.max_rows = 7;
  auto outcome = Service(options)->Query("SELECT id FROM demo.readings");
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->table.rows.size(), 7u);
  EXPECT_TRUE(outcome->truncated);
}

TEST_F(QueryServiceTest, BadInputGivesClearErrors) {
  auto service = Service();
  auto unknown_table = service->Query("SELECT * FROM demo.nope");
  ASSERT_FALSE(unknown_table.ok());
  EXPECT_NE(unknown_table.status().message().find("nope"), std::string::npos);
  auto unknown_column = service->Query("SELECT no_such_column FROM demo.trips");
  ASSERT_FALSE(unknown_column.ok());
  EXPECT_NE(unknown_column.status().message().find("no_such_column"), std::string::npos);
  auto syntax = service->Query("SELEC 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), StatusCode::kInvalid);
  EXPECT_NE(syntax.status().message().find("syntax error"), std::string::npos)
      << syntax.status().ToString();
  auto not_catalog = service->Query("SELECT * FROM lake_scan('demo.nope')");
  ASSERT_FALSE(not_catalog.ok());
  EXPECT_NE(not_catalog.status().message().find("nope"), std::string::npos);
}

TEST_F(QueryServiceTest, ExportWritesTypedFiles) {
  auto service = Service();
  std::string target = (root_ / "out.parquet").string();
  auto outcome = service->Export("SELECT city, count(*) AS n FROM demo.trips GROUP BY city",
                                 target, "parquet");
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->row_count, 4);
  EXPECT_TRUE(fs::exists(target));
  std::string csv = (root_ / "out.csv").string();
  ASSERT_TRUE(service->Export("SELECT 1 AS a, 'x' AS b", csv, "csv").ok());
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "a,b");
}

TEST_F(QueryServiceTest, PragmasAreRefusedEvenThoseDuckDBRewritesIntoSelects) {
  auto service = Service();
  for (const char* sql : {"PRAGMA database_list", "PRAGMA version", "PRAGMA show_tables",
                          "PRAGMA show_tables;", "PRAGMA table_info('demo.trips')",
                          "PRAGMA storage_info('demo.trips')"}) {
    auto outcome = service->Query(sql);
    EXPECT_FALSE(outcome.ok()) << sql << " was allowed";
    if (!outcome.ok()) {
      EXPECT_EQ(outcome.status().code(), StatusCode::kInvalid) << sql;
      EXPECT_NE(outcome.status().message().find("only read-only SELECT"), std::string::npos)
          << outcome.status().ToString();
    }
  }
}

TEST_F(QueryServiceTest, NothingUnderTheCurrentDirectoryIsReadable) {
  // DuckDB's default temp directory is the relative ".tmp", and a restricted engine allows its
  // temp directory: relative reads must not reach the current directory.
  fs::create_directories(root_ / "cwd" / ".tmp");
  std::ofstream(root_ / "cwd" / ".tmp" / "x.csv") << "secret\n42\n";
  fs::path previous = fs::current_path();
  fs::current_path(root_ / "cwd");
  auto service = Service();
  auto relative = service->Query("SELECT * FROM read_csv('.tmp/x.csv')");
  auto dotted = service->Query("SELECT * FROM read_csv('./.tmp/x.csv')");
  fs::current_path(previous);
  EXPECT_FALSE(relative.ok()) << "read .tmp/x.csv under the current directory";
  EXPECT_FALSE(dotted.ok()) << "read ./.tmp/x.csv under the current directory";
}

TEST_F(QueryServiceTest, ErrorsAreOneLine) {
  auto service = Service();
  for (const char* sql : {"SELECT no_such_column FROM demo.trips",
                          "SELECT id,\n  fare +\n  'x'::INTEGER FROM demo.trips",
                          "SELECT * FROM demo.trips WHERE",
                          "SELECT substring(1, 2, 3, 4)",
                          "SELECT * FROM demo.tripz",
                          "SELECT citi FROM demo.trips"}) {
    auto outcome = service->Query(sql);
    ASSERT_FALSE(outcome.ok()) << sql;
    std::string text = outcome.status().ToString();
    EXPECT_EQ(text.find('\n'), std::string::npos) << sql << " -> " << text;
    EXPECT_LT(text.size(), 600u) << text;
  }
  auto candidates = service->Query("SELECT citi FROM demo.trips");
  ASSERT_FALSE(candidates.ok());
  EXPECT_NE(candidates.status().message().find("city"), std::string::npos)
      << candidates.status().ToString();
  EXPECT_NE(candidates.status().message().find("(line 1, column 8)"), std::string::npos)
      << candidates.status().ToString();
}

TEST_F(QueryServiceTest, JsonCellsAreTyped) {
  auto service = Service();
  auto outcome = service->Query(
      "SELECT id, city, fare, day, {'c': city, 'n': NULL} AS s FROM demo.trips WHERE id = 3",
      engine::CellEncoding::kJson);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  ASSERT_EQ(outcome->table.rows.size(), 1u);
  const auto& row = outcome->table.rows[0];
  EXPECT_EQ(row[0], "3");
  EXPECT_EQ(row[1], "\"lima\"");
  EXPECT_EQ(row[2], "4.5");
  EXPECT_EQ(row[3], "\"2024-01-04\"");
  EXPECT_EQ(row[4], "{\"c\":\"lima\",\"n\":null}");
}

TEST(ParseTimestampMsTest, AcceptsDatesAndIsoTimes) {
  EXPECT_EQ(ParseTimestampMs("1970-01-01").value(), 0);
  EXPECT_EQ(ParseTimestampMs("1970-01-02 00:00:01.5").value(), 86'401'500);
  EXPECT_EQ(ParseTimestampMs("2024-03-01T12:00:00Z").value(), 1'709'294'400'000);
  // The same parser as `table read --timestamp`: offsets are honoured (they were refused).
  EXPECT_EQ(ParseTimestampMs("2024-03-01T14:00:00+02:00").value(), 1'709'294'400'000);
  EXPECT_FALSE(ParseTimestampMs("yesterday").ok());
  EXPECT_FALSE(ParseTimestampMs("2024-13-01").ok());
}

}  // namespace
}  // namespace neuralake::sql
