// The parquet provider's plans over files the engine writes: prefix and glob listing, skipped
// hidden files, Hive partitions (inferred and declared types, NULL, percent-decoding), declared
// schemas on empty locations, the refresh interval, and a MinIO location with per-table storage.
#include "neuralake/sql/parquet_provider.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "neuralake/engine/engine.h"
#include "neuralake/engine/scan.h"
#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::sql {
namespace {

namespace fs = std::filesystem;

// ProviderContext::parquet_schema as the service provides it: DESCRIBE of one file.
std::function<Result<engine::TypedColumns>(const std::string&)> SchemaReader(
    std::shared_ptr<engine::Engine> engine, std::shared_ptr<int> calls = nullptr) {
  return [engine, calls](const std::string& uri) -> Result<engine::TypedColumns> {
    if (calls) ++*calls;
    // hive_partitioning = false: the file's own columns, not DuckDB's reading of the path.
    NL_ASSIGN_OR_RETURN(auto table, engine->Query("DESCRIBE SELECT * FROM read_parquet(" +
                                                  engine::Engine::QuoteLiteral(uri) +
                                                  ", hive_partitioning = false)"));
    int name = table.ColumnIndex("column_name");
    int type = table.ColumnIndex("column_type");
    if (name < 0 || type < 0) return Status::Internal("DESCRIBE without name/type columns");
    engine::TypedColumns columns;
    for (const auto& row : table.rows) {
      NL_ASSIGN_OR_RETURN(auto parsed, engine::ParseColumnType(*row[type]));
      columns.emplace_back(*row[name], parsed);
    }
    return columns;
  };
}

std::vector<std::pair<std::string, std::string>> ColumnsOf(const engine::LakeSnapshot& plan) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& column : plan.columns) {
    out.emplace_back(column.name, column.type + (column.partition ? " (partition)" : ""));
  }
  return out;
}

using Columns = std::vector<std::pair<std::string, std::string>>;

class ParquetProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("nl_parquet_provider_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(std::random_device{}()));
    fs::create_directories(root_);
    auto engine = engine::Engine::Make({});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Writes rows (id BIGINT, name VARCHAR) at root_/relative.
  void WriteParquet(const std::string& relative, int64_t first = 0, int64_t rows = 3) {
    WriteQuery(relative, "SELECT i::BIGINT AS id, 'n' || i::VARCHAR AS name FROM range(" +
                             std::to_string(first) + ", " + std::to_string(first + rows) +
                             ") t(i)");
  }

  void WriteQuery(const std::string& relative, const std::string& select) {
    fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    Status written =
        engine_->Execute("COPY (" + select + ") TO " + engine::Engine::QuoteLiteral(path.string()) +
                         " (FORMAT parquet)");
    ASSERT_TRUE(written.ok()) << written.ToString();
  }

  void WriteText(const std::string& relative, const std::string& text) {
    fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  catalog::TableDefinition Definition(const std::string& uri,
                                      std::vector<catalog::DeclaredColumn> schema = {}) {
    catalog::TableDefinition definition;
    definition.database = "demo";
    definition.name = "zones";
    definition.kind = catalog::TableKind::kParquet;
    definition.uri = uri;
    definition.schema = std::move(schema);
    return definition;
  }

  catalog::ProviderContext Context(int64_t refresh_interval_ms = 0) {
    catalog::ProviderContext context;
    context.refresh_interval_ms = refresh_interval_ms;
    context.parquet_schema = SchemaReader(engine_, schema_reads_);
    return context;
  }

  std::unique_ptr<catalog::TableProvider> Provider(const catalog::TableDefinition& definition,
                                                   const catalog::ProviderContext& context) {
    auto provider = MakeParquetProvider(definition, context);
    EXPECT_TRUE(provider.ok()) << provider.status().ToString();
    return provider.ok() ? std::move(*provider) : nullptr;
  }

  std::shared_ptr<const engine::LakeSnapshot> Plan(catalog::TableProvider& provider) {
    auto plan = provider.Plan({});
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    return plan.ok() ? *plan : std::make_shared<const engine::LakeSnapshot>();
  }

  std::vector<std::string> Uris(const engine::LakeSnapshot& plan) {
    std::vector<std::string> out;
    for (const auto& file : plan.files) out.push_back(file.uri);
    return out;
  }

  fs::path root_;
  std::shared_ptr<engine::Engine> engine_;
  std::shared_ptr<int> schema_reads_ = std::make_shared<int>(0);
};

TEST_F(ParquetProviderTest, PrefixListsParquetFilesRecursivelyAndSkipsHiddenOnes) {
  WriteParquet("part-0.parquet");
  WriteParquet("more/part-1.parquet", 10, 5);
  WriteParquet("_temporary/part-9.parquet");
  WriteParquet(".part-8.parquet");
  WriteParquet("_delta_log/part-7.parquet");
  WriteText("_SUCCESS", "");
  WriteText(".part-0.parquet.crc", "x");
  WriteText("_delta_log/00000000000000000000.json", "{}");
  WriteText("notes.txt", "not data");

  auto provider = Provider(Definition(root_.string() + "/"), Context());
  ASSERT_NE(provider, nullptr);
  auto plan = Plan(*provider);
  EXPECT_EQ(plan->table, "demo.zones");
  EXPECT_EQ(plan->version, -1);
  EXPECT_EQ(ColumnsOf(*plan), (Columns{{"id", "BIGINT"}, {"name", "VARCHAR"}}));
  ASSERT_EQ(Uris(*plan), (std::vector<std::string>{(root_ / "more/part-1.parquet").string(),
                                                   (root_ / "part-0.parquet").string()}));
  for (const auto& file : plan->files) {
    EXPECT_EQ(file.size_bytes, static_cast<int64_t>(fs::file_size(file.uri)));
    EXPECT_GT(file.modification_time_ms, 0);
    EXPECT_EQ(file.num_records, -1);
    EXPECT_TRUE(file.stats.empty());
    EXPECT_TRUE(file.partition_values.empty());
  }
  auto locations = provider->Locations();
  ASSERT_TRUE(locations.ok());
  EXPECT_EQ(*locations, std::vector<std::string>{root_.string()});

  auto description = provider->Describe({});
  ASSERT_TRUE(description.ok()) << description.status().ToString();
  EXPECT_EQ(description->files, 2);
  EXPECT_FALSE(description->version.has_value());
  EXPECT_FALSE(description->rows.has_value());
}

TEST_F(ParquetProviderTest, GlobKeepsOnlyMatchingKeysAndPartitionsBelowItsFixedPart) {
  WriteParquet("year=2024/part-0.parquet");
  WriteParquet("year=2024/part-1.parquet");
  WriteParquet("year=2024/other.parquet");
  WriteParquet("year=2024/deep/part-2.parquet");
  WriteParquet("part-3.parquet");

  auto provider = Provider(Definition((root_ / "year=*/part-*.parquet").string()), Context());
  ASSERT_NE(provider, nullptr);
  auto plan = Plan(*provider);
  EXPECT_EQ(Uris(*plan), (std::vector<std::string>{(root_ / "year=2024/part-0.parquet").string(),
                                                   (root_ / "year=2024/part-1.parquet").string()}));
  EXPECT_EQ(ColumnsOf(*plan),
            (Columns{{"id", "BIGINT"}, {"name", "VARCHAR"}, {"year", "BIGINT (partition)"}}));
  ASSERT_EQ(plan->files.size(), 2u);
  EXPECT_EQ(plan->files[0].partition_values.at("year"), "2024");
  auto locations = provider->Locations();
  ASSERT_TRUE(locations.ok());
  EXPECT_EQ(*locations, std::vector<std::string>{root_.string()});

  // '**' crosses directories; the glob's fixed part is the root.
  auto deep = Provider(Definition((root_ / "year=2024/**/part-2.parquet").string()), Context());
  ASSERT_NE(deep, nullptr);
  auto deep_plan = Plan(*deep);
  EXPECT_EQ(Uris(*deep_plan),
            std::vector<std::string>{(root_ / "year=2024/deep/part-2.parquet").string()});
  EXPECT_EQ(ColumnsOf(*deep_plan), (Columns{{"id", "BIGINT"}, {"name", "VARCHAR"}}));
}

TEST_F(ParquetProviderTest, NestedHivePartitionsInferTheirTypesFromAllValues) {
  WriteParquet("year=2024/month=01/region=eu%2Fwest/part-0.parquet");
  WriteParquet("year=2024/month=02/region=us/part-0.parquet");
  WriteParquet("year=2023/month=12/region=us/part-0.parquet");

  auto provider = Provider(Definition(root_.string()), Context());
  ASSERT_NE(provider, nullptr);
  auto plan = Plan(*provider);
  EXPECT_EQ(ColumnsOf(*plan), (Columns{{"id", "BIGINT"},
                                       {"name", "VARCHAR"},
                                       {"year", "BIGINT (partition)"},
                                       {"month", "BIGINT (partition)"},
                                       {"region", "VARCHAR (partition)"}}));
  ASSERT_EQ(plan->files.size(), 3u);
  // Sorted by key: year=2023 first.
  using Values = std::map<std::string, std::optional<std::string>>;
  EXPECT_EQ(plan->files[0].partition_values,
            (Values{{"year", "2023"}, {"month", "12"}, {"region", "us"}}));
  EXPECT_EQ(plan->files[1].partition_values,
            (Values{{"year", "2024"}, {"month", "01"}, {"region", "eu/west"}}));
  EXPECT_EQ(plan->files[2].partition_values,
            (Values{{"year", "2024"}, {"month", "02"}, {"region", "us"}}));
}

TEST_F(ParquetProviderTest, DeclaredPartitionTypesAndOrderWin) {
  WriteParquet("year=2024/month=01/part-0.parquet");
  WriteParquet("year=2023/month=12/part-0.parquet");

  // Partition types declared, data columns read from a file.
  auto partitions_only =
      Provider(Definition(root_.string(), {{"month", "VARCHAR", true}}), Context());
  ASSERT_NE(partitions_only, nullptr);
  EXPECT_EQ(ColumnsOf(*Plan(*partitions_only)), (Columns{{"id", "BIGINT"},
                                                         {"name", "VARCHAR"},
                                                         {"year", "BIGINT (partition)"},
                                                         {"month", "VARCHAR (partition)"}}));

  // A full declared schema orders the columns; the file is not read.
  *schema_reads_ = 0;
  auto declared = Provider(Definition(root_.string(), {{"month", "INTEGER", true},
                                                       {"id", "BIGINT", false},
                                                       {"year", "SMALLINT", true},
                                                       {"name", "VARCHAR", false}}),
                           Context());
  ASSERT_NE(declared, nullptr);
  auto plan = Plan(*declared);
  EXPECT_EQ(ColumnsOf(*plan), (Columns{{"month", "INTEGER (partition)"},
                                       {"id", "BIGINT"},
                                       {"year", "SMALLINT (partition)"},
                                       {"name", "VARCHAR"}}));
  EXPECT_EQ(*schema_reads_, 0);
  EXPECT_EQ(plan->files.size(), 2u);

  // Declared data columns only: the partition columns follow, inferred, in path order.
  auto data_only = Provider(Definition(root_.string(), {{"id", "BIGINT", false}}), Context());
  ASSERT_NE(data_only, nullptr);
  EXPECT_EQ(
      ColumnsOf(*Plan(*data_only)),
      (Columns{{"id", "BIGINT"}, {"year", "BIGINT (partition)"}, {"month", "BIGINT (partition)"}}));

  // A declared data column named like a partition directory is that partition column.
  auto renamed =
      Provider(Definition(root_.string(), {{"id", "BIGINT"}, {"year", "INTEGER"}}), Context());
  ASSERT_NE(renamed, nullptr);
  EXPECT_EQ(ColumnsOf(*Plan(*renamed)), (Columns{{"id", "BIGINT"},
                                                 {"year", "INTEGER (partition)"},
                                                 {"month", "BIGINT (partition)"}}));

  // A declared partition column the paths do not have.
  auto missing = MakeParquetProvider(
      Definition(root_.string(), {{"id", "BIGINT", false}, {"region", "VARCHAR", true}}),
      Context());
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  auto failed = (*missing)->Plan({});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalid);
  EXPECT_NE(failed.status().message().find("table demo.zones (" + root_.string() + ")"),
            std::string::npos)
      << failed.status().ToString();
  EXPECT_NE(failed.status().message().find("'region' is not a directory"), std::string::npos)
      << failed.status().ToString();
}

TEST_F(ParquetProviderTest, FileColumnNamedLikeAPartitionIsThePartition) {
  WriteQuery("region=eu/part-0.parquet",
             "SELECT 1::INTEGER AS zone_id, 'stale' AS region, DATE '2026-01-01' AS day");
  auto provider = Provider(Definition(root_.string()), Context());
  ASSERT_NE(provider, nullptr);
  auto plan = Plan(*provider);
  EXPECT_EQ(ColumnsOf(*plan),
            (Columns{{"zone_id", "INTEGER"}, {"day", "DATE"}, {"region", "VARCHAR (partition)"}}));
  ASSERT_EQ(plan->files.size(), 1u);
  EXPECT_EQ(plan->files[0].partition_values.at("region"), "eu");
}

TEST_F(ParquetProviderTest, HiveDefaultPartitionIsNull) {
  WriteParquet("year=2024/part-0.parquet");
  WriteParquet("year=__HIVE_DEFAULT_PARTITION__/part-0.parquet");

  auto provider = Provider(Definition(root_.string()), Context());
  ASSERT_NE(provider, nullptr);
  auto plan = Plan(*provider);
  EXPECT_EQ(ColumnsOf(*plan),
            (Columns{{"id", "BIGINT"}, {"name", "VARCHAR"}, {"year", "BIGINT (partition)"}}));
  ASSERT_EQ(plan->files.size(), 2u);
  EXPECT_EQ(plan->files[0].partition_values.at("year"), "2024");
  EXPECT_EQ(plan->files[1].partition_values.at("year"), std::nullopt);
}

// The plan read through the engine's lake_scan (what SQL over the table does): partition values
// typed and NULL, a file column replaced by its directory, partition pruning; checked against
// DuckDB's own Hive reading of the same files.
TEST_F(ParquetProviderTest, PlanReadsThroughLakeScanLikeDuckDBsHiveReader) {
  WriteParquet("year=2024/month=01/part-0.parquet", 0, 3);
  WriteParquet("year=2024/month=02/part-0.parquet", 10, 5);
  WriteParquet("year=__HIVE_DEFAULT_PARTITION__/month=03/part-0.parquet", 100, 2);
  WriteQuery("year=2023/month=12/part-0.parquet",
             "SELECT 7::BIGINT AS id, 'seven' AS name, 1999 AS year");

  auto provider = Provider(Definition(root_.string()), Context());
  ASSERT_NE(provider, nullptr);
  auto plan = Plan(*provider);
  engine::RegisteredScanPlan registered(plan);
  const std::string grouped =
      "SELECT year, month, count(*), sum(id) FROM %s GROUP BY ALL ORDER BY ALL";
  auto query = [&](const std::string& relation) {
    std::string sql = grouped;
    sql.replace(sql.find("%s"), 2, relation);
    auto table = engine_->Query(sql);
    EXPECT_TRUE(table.ok()) << table.status().ToString();
    return table.ok() ? table->rows : std::vector<std::vector<std::optional<std::string>>>{};
  };
  auto got = query(registered.Relation());
  using Row = std::vector<std::optional<std::string>>;
  EXPECT_EQ(got, (std::vector<Row>{{"2023", "12", "1", "7"},
                                   {"2024", "1", "3", "3"},
                                   {"2024", "2", "5", "60"},
                                   {std::nullopt, "3", "2", "201"}}));
  // DuckDB's reader agrees once its types match ours.
  auto reference = query(
      "(SELECT id, name, TRY_CAST(year AS BIGINT) AS year, "
      "CAST(month AS BIGINT) AS month FROM "
      "read_parquet(" +
      engine::Engine::QuoteLiteral(root_.string() + "/**/*.parquet") +
      ", hive_partitioning = true, union_by_name = true))");
  EXPECT_EQ(got, reference);

  auto pruned = engine_->RunQuery(
      "SELECT count(*) FROM " + registered.Relation() + " WHERE year = 2024 AND month = 2", {});
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->table.rows[0][0], "5");
  ASSERT_EQ(pruned->scans.size(), 1u);
  EXPECT_EQ(pruned->scans[0].files_pruned_by_partition, 3);
}

TEST_F(ParquetProviderTest, EmptyPrefixWithDeclaredSchemaIsAnEmptyTable) {
  fs::create_directories(root_ / "empty");
  WriteText("empty/_SUCCESS", "");
  auto provider = Provider(Definition((root_ / "empty").string(), {{"zone_id", "INTEGER", false},
                                                                   {"name", "VARCHAR", false},
                                                                   {"region", "VARCHAR", true}}),
                           Context());
  ASSERT_NE(provider, nullptr);
  auto plan = Plan(*provider);
  EXPECT_TRUE(plan->files.empty());
  EXPECT_EQ(
      ColumnsOf(*plan),
      (Columns{{"zone_id", "INTEGER"}, {"name", "VARCHAR"}, {"region", "VARCHAR (partition)"}}));

  // A location that does not exist at all lists as empty too.
  auto absent =
      Provider(Definition((root_ / "absent/").string(), {{"zone_id", "INTEGER"}}), Context());
  ASSERT_NE(absent, nullptr);
  EXPECT_TRUE(Plan(*absent)->files.empty());
}

TEST_F(ParquetProviderTest, EmptyPrefixWithoutSchemaIsInvalidNamingTheTable) {
  fs::create_directories(root_ / "empty");
  WriteText("empty/notes.txt", "no data");
  std::string uri = (root_ / "empty").string();
  auto provider = Provider(Definition(uri), Context());
  ASSERT_NE(provider, nullptr);
  auto plan = provider->Plan({});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(
      plan.status().message().rfind("table demo.zones (" + uri + "): no parquet files under " +
                                        uri + " and no declared schema",
                                    0),
      0u)
      << plan.status().ToString();
}

TEST_F(ParquetProviderTest, InconsistentPartitionDirectoriesAreInvalid) {
  WriteParquet("year=2024/part-0.parquet");
  WriteParquet("year=2024/month=01/part-1.parquet");
  auto provider = Provider(Definition(root_.string()), Context());
  ASSERT_NE(provider, nullptr);
  auto plan = provider->Plan({});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kInvalid);
  const std::string& message = plan.status().message();
  EXPECT_NE(message.find("table demo.zones"), std::string::npos) << message;
  EXPECT_NE(message.find((root_ / "year=2024/month=01/part-1.parquet").string()), std::string::npos)
      << message;
  EXPECT_NE(message.find((root_ / "year=2024/part-0.parquet").string()), std::string::npos)
      << message;
  EXPECT_NE(message.find("(year, month vs year)"), std::string::npos) << message;
}

TEST_F(ParquetProviderTest, TimeTravelIsNotVersioned) {
  WriteParquet("part-0.parquet");
  auto provider = Provider(Definition(root_.string()), Context());
  ASSERT_NE(provider, nullptr);
  catalog::TableAt at;
  at.version = 0;
  auto plan = provider->Plan(at);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().ToString(), catalog::NotVersioned(provider->definition()).ToString());
  at = {};
  at.timestamp = "2026-01-01 00:00:00";
  EXPECT_FALSE(provider->Plan(at).ok());
}

TEST_F(ParquetProviderTest, ZeroRefreshIntervalListsOnEveryPlan) {
  WriteParquet("part-0.parquet");
  auto context = Context(0);
  auto provider = Provider(Definition(root_.string()), context);
  ASSERT_NE(provider, nullptr);
  auto first = Plan(*provider);
  EXPECT_EQ(first->files.size(), 1u);
  auto same = Plan(*provider);
  EXPECT_EQ(same, first);  // unchanged listing: the cached plan
  EXPECT_EQ(context.counters->unchanged.load(), 1);
  EXPECT_EQ(*schema_reads_, 1);

  WriteParquet("part-1.parquet", 100, 2);
  auto second = Plan(*provider);
  EXPECT_EQ(second->files.size(), 2u);
  EXPECT_EQ(context.counters->full_loads.load(), 1);
  EXPECT_EQ(context.counters->refreshes.load(), 1);
  EXPECT_EQ(context.counters->fresh.load(), 0);
}

TEST_F(ParquetProviderTest, RefreshIntervalReusesTheListingUntilItPasses) {
  WriteParquet("part-0.parquet");
  auto context = Context(300);
  auto provider = Provider(Definition(root_.string()), context);
  ASSERT_NE(provider, nullptr);
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(Plan(*provider)->files.size(), 1u);
  WriteParquet("part-1.parquet", 100, 2);
  auto cached = Plan(*provider);
  if (std::chrono::steady_clock::now() - started < std::chrono::milliseconds(300)) {
    EXPECT_EQ(cached->files.size(), 1u);  // within the interval: not listed again
    EXPECT_EQ(context.counters->fresh.load(), 1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  EXPECT_EQ(Plan(*provider)->files.size(), 2u);
  EXPECT_EQ(context.counters->refreshes.load(), 1);
}

TEST_F(ParquetProviderTest, ConcurrentPlansShareOneListing) {
  for (int i = 0; i < 4; ++i) WriteParquet("part-" + std::to_string(i) + ".parquet", i * 10);
  auto context = Context(60'000);
  auto provider = Provider(Definition(root_.string()), context);
  ASSERT_NE(provider, nullptr);
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<const engine::LakeSnapshot>> plans(8);
  for (size_t i = 0; i < plans.size(); ++i) {
    threads.emplace_back([&, i] {
      auto plan = provider->Plan({});
      if (plan.ok()) plans[i] = *plan;
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& plan : plans) {
    ASSERT_NE(plan, nullptr);
    EXPECT_EQ(plan, plans[0]);
    EXPECT_EQ(plan->files.size(), 4u);
  }
  EXPECT_EQ(context.counters->full_loads.load(), 1);
  EXPECT_EQ(context.counters->fresh.load(), 7);
  EXPECT_EQ(*schema_reads_, 1);
}

TEST_F(ParquetProviderTest, MemoryPrefixWithDeclaredSchema) {
  std::string uri = "memory://" + testing::UniqueName("parquet") + "/zones";
  auto store = storage::OpenObjectStore(uri, {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Put("region=eu/a.parquet", "not read").ok());
  ASSERT_TRUE((*store)->Put("region=us/b.parquet", "not read either").ok());
  ASSERT_TRUE((*store)->Put("region=us/_SUCCESS", "").ok());

  auto provider = Provider(Definition(uri + "/", {{"zone_id", "INTEGER"}}), Context());
  ASSERT_NE(provider, nullptr);
  auto plan = Plan(*provider);
  EXPECT_EQ(Uris(*plan),
            (std::vector<std::string>{uri + "/region=eu/a.parquet", uri + "/region=us/b.parquet"}));
  EXPECT_EQ(plan->files[1].size_bytes, 15);
  EXPECT_EQ(ColumnsOf(*plan), (Columns{{"zone_id", "INTEGER"}, {"region", "VARCHAR (partition)"}}));
  auto locations = provider->Locations();
  ASSERT_TRUE(locations.ok());
  EXPECT_EQ(*locations, std::vector<std::string>{uri});
}

TEST_F(ParquetProviderTest, FactoryRefusesBadDefinitions) {
  EXPECT_FALSE(MakeParquetProvider(Definition(""), Context()).ok());
  EXPECT_FALSE(MakeParquetProvider(Definition("gs://bucket/zones/"), Context()).ok());
  EXPECT_FALSE(MakeParquetProvider(Definition("*.parquet"), Context()).ok());
  EXPECT_FALSE(MakeParquetProvider(
                   Definition(root_.string(), {{"id", "BIGINT"}, {"id", "INTEGER"}}), Context())
                   .ok());
  auto definition = Definition(root_.string());
  definition.storage["colour"] = "blue";
  auto refused = MakeParquetProvider(definition, Context());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("demo.zones"), std::string::npos);
}

// MinIO: a prefix with partitions; the per-table storage settings (endpoint, keys by environment
// variable) override the service's, which point nowhere.
TEST_F(ParquetProviderTest, S3PrefixWithPartitionsAndTableStorage) {
  storage::StorageOptions s3 = testing::LocalServiceStorageOptions();
  std::string uri =
      "s3://" + testing::TestBucket() + "/" + testing::UniqueName("parquet-provider") + "/zones";
  auto store = storage::OpenObjectStore(uri, s3);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  WriteParquet("local/part-0.parquet", 0, 4);
  std::ifstream input(root_ / "local/part-0.parquet", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
  const std::vector<std::string> keys = {"year=2024/month=1/part-0.parquet",
                                         "year=2024/month=2/part-0.parquet",
                                         "year=2024/month=2/_SUCCESS"};
  for (const auto& key : keys) {
    Status put = (*store)->Put(key, bytes);
    ASSERT_TRUE(put.ok()) << put.ToString() << " (" << testing::kServicesHint << ")";
  }

  engine::EngineOptions engine_options;
  engine_options.storage = s3;
  auto s3_engine = engine::Engine::Make(engine_options);
  ASSERT_TRUE(s3_engine.ok()) << s3_engine.status().ToString();
  catalog::ProviderContext context;
  context.storage = s3;
  context.storage.s3.endpoint = "http://127.0.0.1:1";  // the table's own endpoint must win
  context.storage.s3.access_key = "wrong";
  context.storage.s3.max_retries = 0;
  context.parquet_schema = SchemaReader(std::shared_ptr<engine::Engine>(std::move(*s3_engine)));
  ::setenv("NL_PARQUET_TEST_ACCESS", s3.s3.access_key.c_str(), 1);
  ::setenv("NL_PARQUET_TEST_SECRET", s3.s3.secret_key.c_str(), 1);
  auto definition = Definition(uri + "/");
  definition.storage = {{"endpoint", s3.s3.endpoint},
                        {"access_key_env", "NL_PARQUET_TEST_ACCESS"},
                        {"secret_key_env", "NL_PARQUET_TEST_SECRET"},
                        {"path_style", "true"}};

  auto provider = Provider(definition, context);
  ASSERT_NE(provider, nullptr);
  auto plan = Plan(*provider);
  EXPECT_EQ(Uris(*plan), (std::vector<std::string>{uri + "/year=2024/month=1/part-0.parquet",
                                                   uri + "/year=2024/month=2/part-0.parquet"}));
  EXPECT_EQ(ColumnsOf(*plan), (Columns{{"id", "BIGINT"},
                                       {"name", "VARCHAR"},
                                       {"year", "BIGINT (partition)"},
                                       {"month", "BIGINT (partition)"}}));
  for (const auto& file : plan->files) {
    EXPECT_EQ(file.size_bytes, static_cast<int64_t>(bytes.size()));
    EXPECT_GT(file.modification_time_ms, 0);
  }
  auto locations = provider->Locations();
  ASSERT_TRUE(locations.ok());
  EXPECT_EQ(*locations, std::vector<std::string>{uri});

  // Without the table's settings the listing goes to the service's (unreachable) endpoint.
  definition.storage.clear();
  auto unreachable = MakeParquetProvider(definition, context);
  ASSERT_TRUE(unreachable.ok());
  auto failed = (*unreachable)->Plan({});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("table demo.zones (" + uri + "/)"), std::string::npos)
      << failed.status().ToString();

  for (const auto& key : keys) EXPECT_TRUE((*store)->Delete(key).ok());
}

}  // namespace
}  // namespace neuralake::sql
