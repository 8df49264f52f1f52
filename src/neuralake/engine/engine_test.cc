#include "neuralake/engine/engine.h"

#include <atomic>

#include <gtest/gtest.h>

#include "neuralake/engine/glob.h"
#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::engine {
namespace {

// Counts what DuckDB asks of the store: how many ranged GETs and how many bytes they fetch.
class CountingObjectStore : public storage::ObjectStore {
 public:
  explicit CountingObjectStore(std::shared_ptr<storage::ObjectStore> wrapped)
      : wrapped_(std::move(wrapped)) {}
  std::string RootUri() const override { return wrapped_->RootUri(); }
  Result<std::string> Get(std::string_view key) override {
    whole_gets.fetch_add(1);
    return wrapped_->Get(key);
  }
  Result<std::string> GetRange(std::string_view key, int64_t offset, int64_t length) override {
    ranged_gets.fetch_add(1);
    auto bytes = wrapped_->GetRange(key, offset, length);
    if (bytes.ok()) bytes_read.fetch_add(static_cast<int64_t>(bytes->size()));
    return bytes;
  }
  Result<storage::ObjectInfo> Head(std::string_view key) override { return wrapped_->Head(key); }
  Status Put(std::string_view key, std::string_view data) override {
    return wrapped_->Put(key, data);
  }
  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    return wrapped_->PutIfAbsent(key, data);
  }
  Result<storage::ListPage> ListPaged(std::string_view prefix, std::string_view token,
                                      int max_keys) override {
    return wrapped_->ListPaged(prefix, token, max_keys);
  }
  Status Delete(std::string_view key) override { return wrapped_->Delete(key); }
  Result<std::unique_ptr<storage::ObjectWriter>> OpenWriter(std::string_view key) override {
    return wrapped_->OpenWriter(key);
  }
  void Reset() {
    whole_gets = 0;
    ranged_gets = 0;
    bytes_read = 0;
  }

  std::atomic<int64_t> whole_gets{0};
  std::atomic<int64_t> ranged_gets{0};
  std::atomic<int64_t> bytes_read{0};

 private:
  std::shared_ptr<storage::ObjectStore> wrapped_;
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

}  // namespace
}  // namespace neuralake::engine
