// Materialized-view refresh: modes, recorded versions, fallbacks, and results checked against
// the same SQL computed over the sources by the query service (DuckDB).
#include "neuralake/mv/refresh.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "neuralake/delta/table.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/query_shape.h"
#include "neuralake/sql/query_service.h"

namespace neuralake::mv {
namespace {

namespace fs = std::filesystem;

class RefreshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("nl-mv-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    auto table = delta::DeltaTable::Open(Uri("events"));
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    events_ = std::move(*table);
    delta::CreateTableOptions create;
    create.source = delta::DataSource::FromQuery(Rows(0, 100));
    ASSERT_TRUE(delta::CreateTable(*events_, create).ok());
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string Uri(const std::string& name) const { return (root_ / name).string(); }

  // Rows i in [from, to): country by i % 3, val = i (NULL every 7th), day by i % 2.
  static std::string Rows(int from, int to) {
    return "SELECT CAST(i AS BIGINT) AS id, ['fr','de','us'][i % 3 + 1] AS country, "
           "CASE WHEN i % 7 = 0 THEN NULL ELSE CAST(i AS DOUBLE) END AS val, "
           "CAST(i % 2 AS INTEGER) AS day FROM range(" +
           std::to_string(from) + ", " + std::to_string(to) + ") t(i)";
  }

  catalog::Catalog MakeCatalog(const std::string& sql) const {
    catalog::Catalog catalog;
    catalog.Database("demo").AddDeltaTable("events", Uri("events"));
    catalog::TableDefinition view;
    view.name = "daily";
    view.kind = catalog::TableKind::kMaterializedView;
    view.uri = Uri("daily");
    view.options["sql"] = sql;
    catalog.Database("gold").AddTable(view);
    return catalog;
  }

  Result<RefreshResult> Run(const std::string& sql, bool full = false) {
    auto catalog = MakeCatalog(sql);
    RefreshOptions options;
    options.full = full;
    return Refresh(catalog, "gold.daily", options);
  }

  // Rows in the view that the SQL over the sources does not give, and the other way round
  // (doubles rounded to 6 digits: merged averages may differ in the last bits).
  int64_t Differences(const std::string& sql, const std::string& rounded_columns) {
    auto service = sql::QueryService::Make(MakeCatalog(sql), {});
    EXPECT_TRUE(service.ok()) << service.status().ToString();
    std::string view = "SELECT " + rounded_columns + " FROM gold.daily";
    std::string expected = "SELECT " + rounded_columns + " FROM (" + sql + ")";
    auto outcome = (*service)->Query("SELECT count(*) FROM ((" + view + " EXCEPT ALL " + expected +
                                     ") UNION ALL (" + expected + " EXCEPT ALL " + view + "))");
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    if (!outcome.ok()) return -1;
    return std::stoll(*outcome->table.rows[0][0]);
  }

  int64_t ViewRows(const std::string& sql) {
    auto service = sql::QueryService::Make(MakeCatalog(sql), {});
    auto outcome = (*service)->Query("SELECT count(*) FROM gold.daily");
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    return outcome.ok() ? std::stoll(*outcome->table.rows[0][0]) : -1;
  }

  void Append(int from, int to) {
    ASSERT_TRUE(delta::Append(*events_, delta::DataSource::FromQuery(Rows(from, to))).ok());
  }

  fs::path root_;
  std::unique_ptr<delta::DeltaTable> events_;
};

const char kFilterSql[] =
    "SELECT id, country, val * 2 AS doubled FROM demo.events WHERE val > 10 OR val IS NULL";
const char kAggregateSql[] =
    "SELECT country, day, sum(val) AS total, count(*) AS n, count(val) AS n_val, "
    "min(val) AS lo, max(val) AS hi, avg(val) AS mean FROM demo.events GROUP BY country, day";
const char kAggregateColumns[] =
    "country, day, round(total, 6), n, n_val, lo, hi, round(mean, 6)";

TEST_F(RefreshTest, NeverRefreshedViewReadsAsNotFoundNamingIt) {
  auto service = sql::QueryService::Make(MakeCatalog(kFilterSql), {});
  ASSERT_TRUE(service.ok());
  auto outcome = (*service)->Query("SELECT * FROM gold.daily");
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.status().message().find("gold.daily is not refreshed yet"), std::string::npos)
      << outcome.status().ToString();
}

TEST_F(RefreshTest, FirstRefreshIsFullThenNoopWithoutCommit) {
  auto first = Run(kFilterSql);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->mode, RefreshMode::kFull);
  EXPECT_EQ(first->reason, "first refresh");
  EXPECT_TRUE(first->committed);
  ASSERT_EQ(first->sources.size(), 1u);
  EXPECT_EQ(first->sources[0].table, "demo.events");
  EXPECT_EQ(first->sources[0].current, 0);
  EXPECT_EQ(Differences(kFilterSql, "*"), 0);

  auto second = Run(kFilterSql);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->mode, RefreshMode::kNoop);
  EXPECT_FALSE(second->committed);
  EXPECT_EQ(second->version, first->version);
  auto view = delta::DeltaTable::Open(Uri("daily"));
  EXPECT_EQ(*(*view)->log().LatestVersion(), first->version);
}

TEST_F(RefreshTest, RecordsSourceVersionsAsTxnAndCommitInfo) {
  Append(100, 120);
  ASSERT_TRUE(Run(kFilterSql).ok());
  auto view = delta::DeltaTable::Open(Uri("daily"));
  auto snapshot = (*view)->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ((*snapshot)->AppTransactionVersion("mv:demo.events"), 1);
  auto history = (*view)->log().History(1);
  ASSERT_TRUE(history.ok());
  const auto& info = history->front().info->fields;
  EXPECT_EQ(info["operation"], "MATERIALIZED VIEW REFRESH");
  EXPECT_EQ(info["mvSources"]["demo.events"], 1);
  EXPECT_EQ(info["operationParameters"]["mode"], "full");

  auto catalog = MakeCatalog(kFilterSql);
  auto status = StatusOf(catalog, "gold.daily", {});
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_FALSE(status->stale);
  Append(120, 130);
  Append(130, 140);
  status = StatusOf(catalog, "gold.daily", {});
  EXPECT_TRUE(status->stale);
  EXPECT_EQ(status->commits_behind, 2);
  EXPECT_EQ(status->last_mode, "full");
}

TEST_F(RefreshTest, ProjectionFilterAppendsOnlyTheNewRows) {
  ASSERT_TRUE(Run(kFilterSql).ok());
  int64_t before = ViewRows(kFilterSql);
  Append(100, 150);
  Append(150, 160);
  auto result = Run(kFilterSql);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->mode, RefreshMode::kIncremental) << result->reason;
  EXPECT_EQ(result->files_removed, 0);
  // Only rows of ids 100..159 were computed: 60 ids, the filter keeps all of them.
  EXPECT_EQ(result->rows_computed, 60);
  EXPECT_EQ(ViewRows(kFilterSql), before + 60);
  EXPECT_EQ(Differences(kFilterSql, "*"), 0);
}

TEST_F(RefreshTest, GroupByAggregatesMergeIncrementally) {
  ASSERT_TRUE(Run(kAggregateSql).ok());
  for (int step = 0; step < 3; ++step) {
    Append(100 + step * 37, 137 + step * 37);
    auto result = Run(kAggregateSql);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(result->mode, RefreshMode::kIncremental) << result->reason;
    EXPECT_EQ(Differences(kAggregateSql, kAggregateColumns), 0) << "step " << step;
  }
}

TEST_F(RefreshTest, GlobalAggregateWithoutGroupBy) {
  const std::string sql = "SELECT count(*) AS n, sum(id) AS s, max(country) AS m FROM demo.events";
  ASSERT_TRUE(Run(sql).ok());
  Append(100, 140);
  auto result = Run(sql);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->mode, RefreshMode::kIncremental) << result->reason;
  EXPECT_EQ(Differences(sql, "*"), 0);
}

TEST_F(RefreshTest, DeleteOrOverwriteFallsBackToFullWithTheReason) {
  ASSERT_TRUE(Run(kAggregateSql).ok());
  ASSERT_TRUE(delta::Overwrite(*events_, delta::DataSource::FromQuery(Rows(50, 80)), std::nullopt)
                  .ok());
  auto result = Run(kAggregateSql);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->mode, RefreshMode::kFull);
  EXPECT_NE(result->reason.find("source demo.events had a delete or overwrite since version 0"),
            std::string::npos)
      << result->reason;
  EXPECT_EQ(Differences(kAggregateSql, kAggregateColumns), 0);
}

TEST_F(RefreshTest, NonMaintainableQueryFallsBackToFull) {
  const std::string sql =
      "SELECT id, row_number() OVER (PARTITION BY country ORDER BY id) AS rn FROM demo.events";
  ASSERT_TRUE(Run(sql).ok());
  Append(100, 110);
  auto result = Run(sql);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->mode, RefreshMode::kFull);
  EXPECT_EQ(result->reason, "query has a window function");
  EXPECT_EQ(Differences(sql, "*"), 0);
}

TEST_F(RefreshTest, FullFlagAndChangedSqlRecompute) {
  ASSERT_TRUE(Run(kFilterSql).ok());
  auto forced = Run(kFilterSql, /*full=*/true);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->mode, RefreshMode::kFull);
  EXPECT_EQ(forced->reason, "full refresh requested");
  EXPECT_EQ(Differences(kFilterSql, "*"), 0);
  const std::string narrower =
      "SELECT id, country, val * 2 AS doubled FROM demo.events WHERE val > 50";
  auto changed = Run(narrower);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->reason, "the view's SQL changed");
  EXPECT_EQ(Differences(narrower, "*"), 0);
}

TEST_F(RefreshTest, QualityHookFailureCommitsNothing) {
  auto catalog = MakeCatalog(kFilterSql);
  RefreshOptions options;
  options.check_rows = [](const catalog::TableDefinition&, const std::string& path, RefreshMode) {
    EXPECT_TRUE(fs::exists(path));
    return Status::Invalid("expectation positive_val failed");
  };
  auto result = Refresh(catalog, "gold.daily", options);
  ASSERT_FALSE(result.ok());
  auto view = delta::DeltaTable::Open(Uri("daily"));
  auto snapshot = (*view)->LoadSnapshot();
  EXPECT_TRUE(!snapshot.ok() || (*snapshot)->files.empty());
}

TEST(QueryShapeTest, Shapes) {
  using Kind = engine::QueryShape::Kind;
  auto shape = [](const std::string& sql) { return *engine::AnalyzeQueryShape(sql); };
  EXPECT_EQ(shape("SELECT a, b + 1 FROM t WHERE c > 2").kind, Kind::kProjection);
  EXPECT_EQ(shape("SELECT * FROM t").kind, Kind::kProjection);
  EXPECT_EQ(shape("SELECT a, sum(b) FROM t GROUP BY a").kind, Kind::kAggregate);
  EXPECT_EQ(shape("SELECT a AS k, count(*) FROM t GROUP BY k").kind, Kind::kAggregate);
  EXPECT_EQ(shape("SELECT a, count(*) FROM t GROUP BY 1").kind, Kind::kAggregate);
  EXPECT_EQ(shape("SELECT a, max(b) FROM t GROUP BY ALL").kind, Kind::kAggregate);
  EXPECT_EQ(shape("SELECT DISTINCT a FROM t").reason, "query has DISTINCT");
  EXPECT_EQ(shape("SELECT a FROM t LIMIT 3").reason, "query has LIMIT");
  EXPECT_EQ(shape("SELECT a FROM t ORDER BY a").reason, "query has ORDER BY");
  EXPECT_EQ(shape("SELECT a, random() FROM t").reason,
            "query calls the non-deterministic function random()");
  EXPECT_EQ(shape("SELECT a, median(b) FROM t GROUP BY a").reason,
            "aggregate median() cannot be merged incrementally");
  EXPECT_EQ(shape("SELECT a, avg(b) FROM t GROUP BY a").kind, Kind::kOther);
  EXPECT_EQ(shape("SELECT a, avg(b), count(b) FROM t GROUP BY a").columns[1].count_index, 2);
  EXPECT_EQ(shape("SELECT a, sum(b) + 1 FROM t GROUP BY a").kind, Kind::kOther);
  EXPECT_EQ(shape("SELECT a, sum(b) FROM t GROUP BY a, c").kind, Kind::kOther);
  EXPECT_EQ(shape("SELECT a, sum(b) FROM t GROUP BY a HAVING sum(b) > 1").reason,
            "query has HAVING");
  EXPECT_EQ(shape("SELECT t.a FROM t JOIN u ON t.a = u.a").kind, Kind::kOther);
  EXPECT_EQ(shape("SELECT a FROM t UNION ALL SELECT a FROM u").kind, Kind::kOther);
  EXPECT_EQ(shape("SELECT count(DISTINCT a) FROM t").kind, Kind::kOther);
  EXPECT_EQ(shape("SELECT a FROM t WHERE a IN (SELECT a FROM u)").reason, "query has a subquery");
}

}  // namespace
}  // namespace neuralake::mv
