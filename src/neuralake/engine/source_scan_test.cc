// source_scan: a SourceTable read through SQL, with projection and filters pushed into its
// requests (and tested again by the engine).
#include <mutex>

#include <gtest/gtest.h>

#include "neuralake/engine/engine.h"
#include "neuralake/engine/source.h"

namespace neuralake::engine {
namespace {

using Id = ColumnType::Id;

// 10,000 rows: n BIGINT (0..9999), word VARCHAR ('w' || n % 100), NULL every 10th row.
class RecordingSource {
 public:
  std::shared_ptr<const SourceTable> Table() {
    auto table = std::make_shared<SourceTable>();
    table->table = "test.numbers";
    table->columns = {{"n", ColumnType::Of(Id::kInt64)}, {"word", ColumnType::Of(Id::kString)}};
    table->open = [this, columns = table->columns](const SourceRequest& request)
        -> Result<std::unique_ptr<BatchStream>> {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(request);
      }
      std::vector<RecordBatch> batches;
      for (int64_t first = 0; first < 10000; first += 4096) {
        RecordBatch batch;
        int64_t count = std::min<int64_t>(4096, 10000 - first);
        batch.num_rows = count;
        Column n{"n", ColumnType::Of(Id::kInt64), count};
        Column word{"word", ColumnType::Of(Id::kString), count};
        for (int64_t i = first; i < first + count; ++i) {
          n.ints.push_back(i);
          word.strings.push_back(i % 10 == 0 ? "" : "w" + std::to_string(i % 100));
          word.valid.push_back(i % 10 == 0 ? 0 : 1);
        }
        batch.columns = {n, word};
        auto projected = ProjectBatch(columns, std::move(batch), request);
        if (!projected.ok()) return projected.status();
        batches.push_back(std::move(*projected));
      }
      return StreamOf(std::move(batches));
    };
    return table;
  }

  SourceRequest Last() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_.back();
  }

 private:
  std::mutex mutex_;
  std::vector<SourceRequest> requests_;
};

class SourceScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    LakeScanOptions lake;
    lake.source_resolver = [this](const std::string& name)
        -> Result<std::shared_ptr<const SourceTable>> {
      if (name != "test.numbers") return Status::NotFound("no source " + name);
      return source_.Table();
    };
    lake.lookup = [](const std::string& schema, const std::string& table)
        -> std::optional<CatalogRef> {
      if (schema == "test" && table == "numbers") {
        return CatalogRef{"test.numbers", CatalogRef::Kind::kSource, ""};
      }
      if (schema == "test" && table == "even") {
        return CatalogRef{"test.even", CatalogRef::Kind::kView,
                          "SELECT * FROM test.numbers WHERE n % 2 = 0"};
      }
      return std::nullopt;
    };
    options.lake = lake;
    engine_ = Engine::Make(options).value();
  }

  std::string One(const std::string& sql) {
    auto table = engine_->Query(sql);
    EXPECT_TRUE(table.ok()) << sql << ": " << table.status().ToString();
    if (!table.ok() || table->rows.empty() || !table->rows[0][0]) return "?";
    return *table->rows[0][0];
  }

  RecordingSource source_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(SourceScanTest, ProjectionAndComparisonsReachTheSource) {
  EXPECT_EQ(One("SELECT sum(n) FROM test.numbers WHERE n >= 9990 AND word = 'w95'"), "9995");
  SourceRequest request = source_.Last();
  EXPECT_FALSE(request.count_only);
  // Only the columns the query needs, and both filters.
  std::vector<std::string> columns = request.scan.columns;
  std::sort(columns.begin(), columns.end());
  EXPECT_EQ(columns, (std::vector<std::string>{"n", "word"}));
  ASSERT_EQ(request.scan.filters.size(), 2u);
  bool saw_n = false, saw_word = false;
  for (const auto& filter : request.scan.filters) {
    if (filter.column == "n") {
      saw_n = filter.op == ScanFilter::Op::kGreaterOrEqual &&
              std::get<int64_t>(filter.value) == 9990;
    }
    if (filter.column == "word") {
      saw_word = filter.op == ScanFilter::Op::kEqual &&
                 std::get<std::string>(filter.value) == "w95";
    }
  }
  EXPECT_TRUE(saw_n);
  EXPECT_TRUE(saw_word);
}

TEST_F(SourceScanTest, CountStarAsksForNoColumns) {
  EXPECT_EQ(One("SELECT count(*) FROM test.numbers"), "10000");
  EXPECT_TRUE(source_.Last().count_only);
  EXPECT_TRUE(source_.Last().scan.columns.empty());
}

TEST_F(SourceScanTest, InNullTestsStringFunctionsAndOrsArePushed) {
  EXPECT_EQ(One("SELECT count(*) FROM test.numbers WHERE word IS NULL"), "1000");
  ASSERT_EQ(source_.Last().scan.filters.size(), 1u);
  EXPECT_EQ(source_.Last().scan.filters[0].op, ScanFilter::Op::kIsNull);

  EXPECT_EQ(One("SELECT count(*) FROM test.numbers WHERE n IN (1, 2, 3, 20000)"), "3");
  ASSERT_EQ(source_.Last().scan.filters.size(), 1u);
  EXPECT_EQ(source_.Last().scan.filters[0].op, ScanFilter::Op::kIn);
  EXPECT_EQ(source_.Last().scan.filters[0].values.size(), 4u);

  EXPECT_EQ(One("SELECT count(*) FROM test.numbers WHERE starts_with(word, 'w9')"), "1000");
  ASSERT_EQ(source_.Last().scan.filters.size(), 1u);
  EXPECT_EQ(source_.Last().scan.filters[0].op, ScanFilter::Op::kStartsWith);

  EXPECT_EQ(One("SELECT count(*) FROM test.numbers WHERE n < 5 OR (n > 9990 AND word IS NOT NULL)"),
            "14");
  const auto& any_of = source_.Last().scan.any_of;
  ASSERT_EQ(any_of.size(), 2u);
  EXPECT_EQ(any_of[0].size(), 1u);
  EXPECT_EQ(any_of[1].size(), 2u);
}

TEST_F(SourceScanTest, FiltersTheSourceIgnoresAreStillApplied) {
  // The source returns every row whatever it is asked: results stay exact.
  EXPECT_EQ(One("SELECT count(*) FROM test.numbers WHERE n BETWEEN 100 AND 199 AND "
                "word LIKE 'w1%'"),
            "10");
  EXPECT_EQ(One("SELECT count(*) FROM test.numbers WHERE n % 3 = 0 AND n < 30"), "10");
}

TEST_F(SourceScanTest, ViewsBindInPlaceAndJoinWithTheirSources) {
  EXPECT_EQ(One("SELECT count(*) FROM test.even"), "5000");
  EXPECT_EQ(One("SELECT count(*) FROM test.even e JOIN test.numbers n ON e.n = n.n + 1"), "4999");
}

TEST_F(SourceScanTest, TableNamesInQueryFindsEveryReference) {
  auto names = TableNamesInQuery(
      "WITH recent AS (SELECT * FROM demo.events) SELECT * FROM recent r JOIN users u ON r.id = "
      "u.id WHERE r.x IN (SELECT y FROM other.t) AND EXISTS (SELECT 1 FROM lake_scan('demo.z'))");
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  std::vector<std::pair<std::string, std::string>> expected = {
      {"", "users"}, {"demo", "events"}, {"demo", "z"}, {"other", "t"}};
  EXPECT_EQ(*names, expected);
  EXPECT_FALSE(TableNamesInQuery("DROP TABLE x").ok());
}

}  // namespace
}  // namespace neuralake::engine
