// Expectations on crafted rows: exact violation counts for every type (NULL handling, mostly),
// and fail / drop / warn on appends to a Delta table.
#include <gtest/gtest.h>

#include "neuralake/delta/table.h"
#include "neuralake/delta/test_support.h"
#include "neuralake/delta/writer.h"
#include "neuralake/quality/enforce.h"
#include "neuralake/quality/expectations.h"
#include "neuralake/quality/results_table.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::quality {
namespace {

using catalog::Expectation;

// 10 rows: id 1..10; val: NULL at id 3 and 7, else id * 10 except id 9 -> -5; name with a NULL
// (id 5), one with a quote, two with digits; country with a duplicate pair and NULLs.
constexpr const char* kRows = R"(
  SELECT * FROM (VALUES
    (1, 10, 'alpha', 'DE', TIMESTAMP '2024-01-01 00:00:00'),
    (2, 20, 'beta', 'FR', TIMESTAMP '2024-01-02 00:00:00'),
    (3, NULL, 'gamma', 'DE', TIMESTAMP '2024-01-03 00:00:00'),
    (4, 40, 'delta4', 'IT', TIMESTAMP '2024-01-04 00:00:00'),
    (5, 50, NULL, NULL, TIMESTAMP '2024-01-05 00:00:00'),
    (6, 60, 'o''brien', 'ES', TIMESTAMP '2024-01-06 00:00:00'),
    (7, NULL, 'eta', NULL, TIMESTAMP '2024-01-07 00:00:00'),
    (8, 80, 'theta8', 'PT', TIMESTAMP '2024-01-08 00:00:00'),
    (9, -5, 'iota', 'NL', TIMESTAMP '2024-01-09 00:00:00'),
    (10, 100, 'kappa', 'BE', NULL)
  ) AS t(id, val, name, country, ts))";

Expectation Make(std::string name, std::string type, std::string column = "") {
  Expectation expectation;
  expectation.name = std::move(name);
  expectation.type = std::move(type);
  expectation.column = std::move(column);
  return expectation;
}

class ExpectationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = engine::Engine::Make({});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
    ASSERT_TRUE(engine_->Execute(std::string("CREATE TABLE rows AS ") + kRows).ok());
    ASSERT_TRUE(engine_->Execute("CREATE TABLE ref AS SELECT CAST(c AS VARCHAR) AS __nl_key "
                                 "FROM (VALUES ('DE'), ('FR'), ('IT'), ('ES'), (NULL)) AS r(c)")
                    .ok());
    target_.run = [this](const std::string& sql, const std::vector<engine::QueryParam>& params,
                         engine::CellEncoding cells) -> Result<engine::Table> {
      engine::QueryOptions options;
      options.params = params;
      options.cells = cells;
      NL_ASSIGN_OR_RETURN(auto outcome, engine_->RunQuery(sql, options));
      return std::move(outcome.table);
    };
    target_.relation = "rows";
    auto described = engine_->Query("SELECT * FROM rows LIMIT 0");
    ASSERT_TRUE(described.ok());
    target_.columns = described->columns;
    target_.references = [](const Expectation&) -> Result<std::string> { return std::string("ref"); };
  }

  ExpectationResult Run(const Expectation& expectation) {
    auto results = Evaluate(target_, {expectation});
    EXPECT_TRUE(results.ok()) << results.status().ToString();
    if (!results.ok() || results->size() != 1) return {};
    EXPECT_EQ((*results)[0].rows_checked, 10);
    return (*results)[0];
  }

  std::unique_ptr<engine::Engine> engine_;
  CheckTarget target_;
};

TEST_F(ExpectationsTest, NotNullCountsNulls) {
  auto result = Run(Make("val_set", "not_null", "val"));
  EXPECT_EQ(result.violations, 2);
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.sample, "[null, null]");
}

TEST_F(ExpectationsTest, AcceptedValuesLetNullPass) {
  auto expectation = Make("known", "accepted_values", "country");
  expectation.values = {"DE", "FR", "IT", "ES"};
  auto result = Run(expectation);
  EXPECT_EQ(result.violations, 3);  // PT, NL, BE; the two NULLs pass
  EXPECT_EQ(result.sample, R"(["PT", "NL", "BE"])");
}

TEST_F(ExpectationsTest, AcceptedValuesAreBoundNotPasted) {
  auto expectation = Make("names", "accepted_values", "name");
  expectation.values = {"o'brien", "alpha", "x') OR true OR ('"};
  EXPECT_EQ(Run(expectation).violations, 7);  // 9 non-NULL names, 2 accepted
}

TEST_F(ExpectationsTest, RangeIsInclusiveAndTyped) {
  auto expectation = Make("positive", "range", "val");
  expectation.min = "10";
  expectation.max = "80";
  auto result = Run(expectation);
  EXPECT_EQ(result.violations, 2);  // -5 and 100; 10 and 80 are inside; NULLs pass
  auto only_min = Make("nonneg", "range", "val");
  only_min.min = "0";
  EXPECT_EQ(Run(only_min).violations, 1);
}

TEST_F(ExpectationsTest, RegexMatchesTheWholeValue) {
  auto expectation = Make("letters", "regex", "name");
  expectation.pattern = "[a-z]+";
  auto result = Run(expectation);
  EXPECT_EQ(result.violations, 3);  // delta4, o'brien, theta8; NULL passes
  auto partial = Make("has_a", "regex", "name");
  partial.pattern = "a";
  EXPECT_EQ(Run(partial).violations, 9);  // no name is exactly "a"
}

TEST_F(ExpectationsTest, SqlPredicateCountsNullAsViolation) {
  auto expectation = Make("val_le_id_x10", "sql");
  expectation.sql = "val >= id * 10";
  auto result = Run(expectation);
  EXPECT_EQ(result.violations, 3);  // id 9 (-5 < 90) and the two NULL vals
  EXPECT_NE(result.sample.find("\"id\":9,"), std::string::npos) << result.sample;
}

TEST_F(ExpectationsTest, UniqueCountsRowsOfRepeatedKeys) {
  auto expectation = Make("one_per_country", "unique");
  expectation.columns = {"country"};
  auto result = Run(expectation);
  EXPECT_EQ(result.violations, 2);  // the two DE rows; the two NULLs are not keys
  EXPECT_EQ(result.sample, R"(["DE"])");
  auto ids = Make("ids", "unique");
  ids.columns = {"id", "country"};
  EXPECT_EQ(Run(ids).violations, 0);
}

TEST_F(ExpectationsTest, RowCountBounds) {
  auto expectation = Make("enough", "row_count");
  expectation.min = "11";
  auto result = Run(expectation);
  EXPECT_EQ(result.violations, 1);
  EXPECT_FALSE(result.passed);
  expectation.min = "10";
  expectation.max = "10";
  EXPECT_TRUE(Run(expectation).passed);
}

TEST_F(ExpectationsTest, FreshnessOfAColumn) {
  auto expectation = Make("recent", "freshness", "ts");
  expectation.max_age_seconds = 3600;
  auto result = Run(expectation);
  EXPECT_EQ(result.violations, 1);  // 2024 is long ago
  EXPECT_EQ(result.sample, R"(["2024-01-09T00:00:00.000000"])");
  expectation.max_age_seconds = int64_t{100} * 365 * 24 * 3600;
  EXPECT_TRUE(Run(expectation).passed);
}

TEST_F(ExpectationsTest, ForeignKeyAgainstReferencedKeys) {
  auto expectation = Make("country_known", "foreign_key", "country");
  expectation.references_table = "db.countries";
  expectation.references_column = "code";
  auto result = Run(expectation);
  EXPECT_EQ(result.violations, 3);  // PT, NL, BE; NULLs pass; the NULL key matches nothing
}

TEST_F(ExpectationsTest, MostlyIsAFractionOfPassingRows) {
  auto expectation = Make("val_set", "not_null", "val");
  expectation.mostly = 0.8;  // 8 of 10 pass: holds
  EXPECT_TRUE(Run(expectation).passed);
  expectation.mostly = 0.81;
  EXPECT_FALSE(Run(expectation).passed);
}

TEST_F(ExpectationsTest, OnePassForAllRowLevelExpectations) {
  auto range = Make("positive", "range", "val");
  range.min = "0";
  auto results = Evaluate(target_, {Make("a", "not_null", "val"), range,
                                    Make("b", "not_null", "name")});
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  EXPECT_EQ((*results)[0].violations, 2);
  EXPECT_EQ((*results)[1].violations, 1);
  EXPECT_EQ((*results)[2].violations, 1);
}

TEST_F(ExpectationsTest, UnknownColumnIsInvalidNamingIt) {
  auto results = Evaluate(target_, {Make("x", "not_null", "nope")});
  ASSERT_FALSE(results.ok());
  EXPECT_NE(results.status().ToString().find("nope"), std::string::npos);
}

TEST(QualityLocations, Defaults) {
  EXPECT_EQ(DefaultQualityUri("s3://lake/bronze/events"), "s3://lake/bronze/_quality");
  EXPECT_EQ(DefaultQualityUri("s3://lake/events/"), "s3://lake/_quality");
  EXPECT_EQ(DefaultQualityUri("s3://lake"), "s3://lake/_quality");
  EXPECT_EQ(DefaultQualityUri("/tmp/x/t"), "/tmp/x/_quality");
  EXPECT_EQ(DefaultQuarantineUri("s3://lake/events"), "s3://lake/events_quarantine");
}

// ---- enforcement on append ----

class EnforceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = "memory://" + neuralake::testing::UniqueName("quality");
    auto table = delta::DeltaTable::Open(root_ + "/t");
    ASSERT_TRUE(table.ok());
    table_ = std::move(table).value();
    delta::CreateTableOptions create;
    create.source = delta::DataSource::FromQuery("SELECT 0::BIGINT AS id, 0::BIGINT AS val, 'x' AS name");
    ASSERT_TRUE(delta::CreateTable(*table_, create).ok());
  }

  int64_t Count(const std::string& uri) {
    auto table = delta::DeltaTable::Open(uri);
    EXPECT_TRUE(table.ok());
    auto snapshot = (*table)->LoadSnapshot();
    if (!snapshot.ok()) return -1;
    auto scan = delta::ScanSnapshot(**table, **snapshot);
    EXPECT_TRUE(scan.ok());
    auto engine = (*table)->GetEngine();
    auto counted = (*engine)->Query("SELECT count(*) FROM (" + scan->sql + ")");
    EXPECT_TRUE(counted.ok()) << counted.status().ToString();
    return std::stoll(counted->rows.at(0).at(0).value_or("-1"));
  }

  std::string root_;
  std::unique_ptr<delta::DeltaTable> table_;
};

delta::DataSource NewRows() {
  return delta::DataSource::FromQuery(
      "SELECT range AS id, CASE WHEN range % 4 = 0 THEN -1 ELSE range END AS val, "
      "CASE WHEN range = 5 THEN NULL ELSE 'n' || range END AS name FROM range(1, 21)");
}

TEST_F(EnforceTest, FailCommitsNothing) {
  auto expectation = Make("positive", "range", "val");
  expectation.min = "0";
  expectation.on_violation = Expectation::Action::kFail;
  EnforceOptions options;
  options.quarantine_uri = DefaultQuarantineUri(table_->uri());
  auto outcome = AppendWithExpectations(*table_, NewRows(), {expectation}, options);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  ASSERT_TRUE(outcome->failure.has_value());
  EXPECT_NE(outcome->failure->find("'positive'"), std::string::npos);
  EXPECT_NE(outcome->failure->find("5 of 20"), std::string::npos) << *outcome->failure;
  EXPECT_FALSE(outcome->written.has_value());
  EXPECT_EQ((*table_->LoadSnapshot())->version, 0);
  EXPECT_EQ(Count(table_->uri()), 1);
}

TEST_F(EnforceTest, DropQuarantinesViolatingRowsAndAppendsTheRest) {
  auto positive = Make("positive", "range", "val");
  positive.min = "0";
  positive.on_violation = Expectation::Action::kDrop;
  auto named = Make("named", "not_null", "name");
  named.on_violation = Expectation::Action::kDrop;
  auto warn = Make("small", "range", "id");
  warn.max = "15";  // warn: 5 rows, kept
  EnforceOptions options;
  options.quarantine_uri = DefaultQuarantineUri(table_->uri());
  options.write.app_id = "loader";
  options.write.app_version = 1;
  auto outcome = AppendWithExpectations(*table_, NewRows(), {positive, named, warn}, options);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_FALSE(outcome->failure);
  EXPECT_EQ(outcome->dropped_rows, 6);  // 4, 8, 12, 16, 20 (val -1) and 5 (NULL name)
  EXPECT_EQ(outcome->results[2].violations, 5);
  EXPECT_EQ(Count(table_->uri()), 1 + 14);
  EXPECT_EQ(Count(options.quarantine_uri), 6);
  // The same write again (same txn) changes neither table.
  auto again = AppendWithExpectations(*table_, NewRows(), {positive, named, warn}, options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->written->skipped);
  EXPECT_TRUE(again->quarantine->skipped);
  EXPECT_EQ(Count(table_->uri()), 15);
  EXPECT_EQ(Count(options.quarantine_uri), 6);
}

TEST_F(EnforceTest, WarnAppendsEverything) {
  auto expectation = Make("named", "not_null", "name");
  auto outcome = AppendWithExpectations(*table_, NewRows(), {expectation}, {});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->results[0].violations, 1);
  EXPECT_EQ(Count(table_->uri()), 21);
}

TEST_F(EnforceTest, ResultsTableAppends) {
  ExpectationResult result;
  result.name = "named";
  result.type = "not_null";
  result.rows_checked = 20;
  result.violations = 1;
  result.passed = false;
  result.sample = "[null]";
  ResultsRecord record{"db.t", 3, "check", {result, result}};
  std::string uri = DefaultQualityUri(table_->uri());
  ASSERT_TRUE(AppendResults(uri, {}, record).ok());
  ASSERT_TRUE(AppendResults(uri, {}, record).ok());
  EXPECT_EQ(Count(uri), 4);
}

TEST(CheckBatchTest, NamesTheDropExpectationsOfEachRow) {
  auto engine = engine::Engine::Make({});
  ASSERT_TRUE(engine.ok());
  engine::ColumnBatch batch;
  engine::ColumnData id{"id", engine::ColumnKind::kInt64, {1, 2, 3, 4}, {}, {}, {}};
  engine::ColumnData name{"name", engine::ColumnKind::kString, {}, {}, {"a", "", "c", "d"},
                          {1, 0, 1, 1}};
  batch.columns = {id, name};
  batch.num_rows = 4;
  auto named = Make("named", "not_null", "name");
  named.on_violation = Expectation::Action::kDrop;
  auto small = Make("small", "range", "id");
  small.max = "2";
  small.on_violation = Expectation::Action::kDrop;
  auto check = CheckBatch(**engine, batch, {named, small}, nullptr);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->failure, "");
  EXPECT_EQ(check->dropped_by, (std::vector<std::string>{"", "named", "small", "small"}));
  small.on_violation = Expectation::Action::kFail;
  check = CheckBatch(**engine, batch, {named, small}, nullptr);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->failure, "expectation 'small' (range, fail) violated by 2 of 4 rows");
}

}  // namespace
}  // namespace neuralake::quality
