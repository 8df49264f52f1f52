// Table operations end to end on memory:// tables, with DuckDB (the engine) as the reference.
#include "neuralake/delta/writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "neuralake/delta/checkpoint.h"
#include "neuralake/delta/dml.h"
#include "neuralake/delta/shared_engine_test.h"
#include "neuralake/delta/test_support.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

class WriterTest : public SharedEngineTest {
 protected:
  void SetUp() override { table_ = Open("memory://" + testing::UniqueName("delta-writer") + "/t"); }

  std::unique_ptr<DeltaTable> Open(const std::string& uri) {
    return OpenOnEngine(uri);
  }

  std::shared_ptr<const delta::Snapshot> Load(std::optional<int64_t> version = std::nullopt) {
    auto snapshot = table_->LoadSnapshot(version);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    return snapshot.ok() ? *snapshot : nullptr;
  }

  std::vector<std::string> TableRows(std::optional<int64_t> version = std::nullopt,
                                     const std::string& columns = "*") {
    auto snapshot = Load(version);
    if (!snapshot) return {};
    auto sql = ScanSnapshot(*table_, *snapshot);
    EXPECT_TRUE(sql.ok()) << sql.status().ToString();
    return Rows("SELECT " + columns + " FROM (" + sql->sql + ")");
  }

  int64_t Count(std::optional<int64_t> version = std::nullopt) {
    auto snapshot = Load(version);
    auto sql = ScanSnapshot(*table_, *snapshot);
    auto rows = Rows("SELECT count(*) FROM (" + sql->sql + ")");
    return rows.empty() ? -1 : std::stoll(rows[0]);
  }

  WriteResult MustCreate(const std::string& query, std::vector<std::string> partitions = {},
                         std::map<std::string, std::string> properties = {}) {
    CreateTableOptions options;
    options.source = DataSource::FromQuery(query);
    options.partition_columns = std::move(partitions);
    options.properties = std::move(properties);
    auto result = CreateTable(*table_, options);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : WriteResult{};
  }

  WriteResult MustAppend(const std::string& query, WriteOptions options = {}) {
    auto result = Append(*table_, DataSource::FromQuery(query), options);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : WriteResult{};
  }

  std::unique_ptr<DeltaTable> table_;
};


constexpr const char* kTrips =
    "SELECT i::BIGINT AS id, CASE i % 3 WHEN 0 THEN 'paris' WHEN 1 THEN 'rome' ELSE 'oslo' END "
    "AS city, i * 1.5::DOUBLE AS fare FROM range(30) t(i)";

TEST_F(WriterTest, CreatePartitionedTableAndReadItBack) {
  WriteResult created = MustCreate(kTrips, {"city"});
  EXPECT_EQ(created.version, 0);
  EXPECT_EQ(created.rows_added, 30);
  EXPECT_EQ(created.files_added, 3);
  auto snapshot = Load();
  EXPECT_EQ(snapshot->partition_columns(), std::vector<std::string>{"city"});
  EXPECT_EQ(snapshot->protocol, Protocol{});
  for (const auto& file : snapshot->files) {
    ASSERT_TRUE(file.partition_values.at("city").has_value());
    EXPECT_EQ(file.path.rfind("city=" + *file.partition_values.at("city") + "/part-", 0), 0u)
        << file.path;
    ASSERT_TRUE(file.stats.has_value());
    auto stats = nlohmann::json::parse(*file.stats);
    EXPECT_EQ(stats["numRecords"], 10);
    EXPECT_TRUE(stats["minValues"]["id"].is_number_integer()) << *file.stats;
    EXPECT_TRUE(stats["maxValues"]["fare"].is_number()) << *file.stats;
    EXPECT_EQ(stats["nullCount"]["id"], 0);
    EXPECT_FALSE(stats["minValues"].contains("city"));  // partition columns have no stats
  }
  EXPECT_EQ(TableRows(), Rows("SELECT * FROM (" + std::string(kTrips) + ")"));
}

TEST_F(WriterTest, LongStringStatsAreTruncatedBounds) {
  // 40 code points (two of them 2-byte UTF-8): the minimum keeps a 32-code-point prefix, the
  // maximum the prefix followed by U+10FFFF, which sorts after every value with that prefix.
  MustCreate(
      "SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u00e9\u00e9bbbbbbbbb' AS s, 'short' AS t "
      "UNION ALL SELECT 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', 'shorter'");
  auto snapshot = Load();
  ASSERT_EQ(snapshot->files.size(), 1u);
  auto stats = nlohmann::json::parse(*snapshot->files[0].stats);
  std::string min = stats["minValues"]["s"];
  std::string max = stats["maxValues"]["s"];
  EXPECT_EQ(min, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u00e9\u00e9b");
  EXPECT_EQ(max, std::string(32, 'z') + "\xF4\x8F\xBF\xBF");
  EXPECT_LT(std::string(40, 'z'), max);  // an upper bound in byte order
  EXPECT_LE(min, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u00e9\u00e9bbbbbbbbb");
  EXPECT_EQ(stats["maxValues"]["t"], "shorter");
}

TEST_F(WriterTest, StatsAreTypedPerTheProtocol) {
  MustCreate(
      "SELECT 1::INTEGER AS n, 'abc' AS s, DATE '2024-02-03' AS d, "
      "TIMESTAMPTZ '2024-01-01 10:00:00.123456+00' AS ts, TIMESTAMP '2024-01-01 10:00:00' AS tn, "
      "{'x': 5, 'y': 'q'} AS st, true AS b, NULL::VARCHAR AS empty "
      "UNION ALL SELECT 7, 'abd', DATE '2024-02-05', TIMESTAMPTZ '2024-01-02 00:00:00+00', "
      "TIMESTAMP '2024-01-03 00:00:00', {'x': 9, 'y': 'r'}, false, NULL");
  auto snapshot = Load();
  ASSERT_EQ(snapshot->files.size(), 1u);
  auto stats = nlohmann::json::parse(*snapshot->files[0].stats);
  EXPECT_EQ(stats["numRecords"], 2);
  EXPECT_EQ(stats["minValues"]["n"], 1);
  EXPECT_EQ(stats["maxValues"]["n"], 7);
  EXPECT_EQ(stats["minValues"]["s"], "abc");
  EXPECT_EQ(stats["maxValues"]["d"], "2024-02-05");
  EXPECT_EQ(stats["minValues"]["ts"], "2024-01-01T10:00:00.123Z");
  EXPECT_EQ(stats["maxValues"]["tn"], "2024-01-03T00:00:00.000");
  EXPECT_EQ(stats["minValues"]["st"]["x"], 5);
  EXPECT_EQ(stats["maxValues"]["st"]["y"], "r");
  EXPECT_EQ(stats["nullCount"]["st"]["x"], 0);
  EXPECT_EQ(stats["nullCount"]["empty"], 2);
  EXPECT_FALSE(stats["minValues"].contains("empty"));
  // timestamp_ntz needs the table feature.
  EXPECT_EQ(snapshot->protocol.min_reader_version, 3);
  EXPECT_TRUE(snapshot->protocol.HasReaderFeature("timestampNtz"));
  EXPECT_TRUE(snapshot->protocol.HasWriterFeature("timestampNtz"));
  EXPECT_EQ(Count(), 2);
}

TEST_F(WriterTest, CreateRefusesAnExistingTableAndBadPartitionColumns) {
  MustCreate(kTrips);
  CreateTableOptions again;
  again.source = DataSource::FromQuery(kTrips);
  auto result = CreateTable(*table_, again);
  ASSERT_TRUE(result.status().IsInvalid());
  EXPECT_NE(result.status().message().find("already exists"), std::string::npos);

  auto other = Open("memory://" + testing::UniqueName("delta-writer") + "/t");
  CreateTableOptions bad;
  bad.source = DataSource::FromQuery(kTrips);
  bad.partition_columns = {"country"};
  auto missing = CreateTable(*other, bad);
  ASSERT_TRUE(missing.status().IsInvalid());
  EXPECT_NE(missing.status().message().find("'country'"), std::string::npos);
}

TEST_F(WriterTest, AppendEnforcesTheSchema) {
  MustCreate(kTrips, {"city"});
  auto extra = Append(*table_, DataSource::FromQuery("SELECT 1::BIGINT AS id, 'x' AS city, "
                                                     "2.0::DOUBLE AS fare, 3 AS tip"));
  ASSERT_TRUE(extra.status().IsInvalid());
  EXPECT_NE(extra.status().message().find("'tip'"), std::string::npos) << extra.status().message();
  auto mismatch = Append(*table_, DataSource::FromQuery("SELECT 'one' AS id, 'x' AS city"));
  ASSERT_TRUE(mismatch.status().IsInvalid());
  EXPECT_NE(mismatch.status().message().find("'id'"), std::string::npos);
  EXPECT_NE(mismatch.status().message().find("string"), std::string::npos);
  EXPECT_NE(mismatch.status().message().find("long"), std::string::npos);
  // Nothing was committed and no data file was left behind.
  EXPECT_EQ(Load()->version, 0);
  auto objects = table_->store().List("");
  ASSERT_TRUE(objects.ok());
  int64_t data_files = 0;
  for (const auto& object : *objects) data_files += object.key.ends_with(".parquet") ? 1 : 0;
  EXPECT_EQ(data_files, 3);
  // A subset of columns with a narrower type is fine.
  WriteResult appended = MustAppend("SELECT 100::INTEGER AS id, 'lima' AS city");
  EXPECT_EQ(appended.version, 1);
  EXPECT_EQ(Rows("SELECT fare FROM (" + ScanSnapshot(*table_, *Load())->sql + ") WHERE id = 100"),
            std::vector<std::string>{"NULL"});
}

TEST_F(WriterTest, MergeEvolvesTheSchemaInTheSameCommit) {
  MustCreate(kTrips, {"city"});
  WriteOptions merge;
  merge.schema_mode = SchemaMode::kMerge;
  WriteResult result =
      MustAppend("SELECT 500::BIGINT AS id, 'lima' AS city, 1.0::DOUBLE AS fare, 7 AS tip", merge);
  EXPECT_TRUE(result.schema_changed);
  auto actions = table_->log().ReadCommit(1);
  ASSERT_TRUE(actions.ok());
  bool has_metadata = false;
  for (const auto& action : *actions) has_metadata |= std::holds_alternative<Metadata>(action);
  EXPECT_TRUE(has_metadata);
  auto snapshot = Load();
  ASSERT_EQ(snapshot->schema.fields.size(), 4u);
  EXPECT_EQ(snapshot->schema.fields[3].name, "tip");
  EXPECT_EQ(snapshot->schema.fields[3].type.ToString(), "integer");
  // Old files read the new column as NULL.
  EXPECT_EQ(
      Rows("SELECT count(*), count(tip) FROM (" + ScanSnapshot(*table_, *snapshot)->sql + ")"),
      std::vector<std::string>{"31|1"});
  // Version 0 still has the old schema.
  EXPECT_EQ(Load(0)->schema.fields.size(), 3u);
}

TEST_F(WriterTest, OverwriteWholeTableAndPartitions) {
  MustCreate(kTrips, {"city"});
  auto replaced = Overwrite(*table_,
                            DataSource::FromQuery("SELECT 1000::BIGINT AS id, 'paris' AS city, "
                                                  "0.0::DOUBLE AS fare"),
                            std::string("city = 'paris'"));
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->files_removed, 1);
  EXPECT_EQ(Count(), 21);
  EXPECT_EQ(
      Rows("SELECT id FROM (" + ScanSnapshot(*table_, *Load())->sql + ") WHERE city = 'paris'"),
      std::vector<std::string>{"1000"});

  // New rows outside the predicate are refused.
  auto outside = Overwrite(*table_,
                           DataSource::FromQuery("SELECT 1::BIGINT AS id, 'rome' AS city, "
                                                 "0.0::DOUBLE AS fare"),
                           std::string("city = 'paris'"));
  ASSERT_TRUE(outside.status().IsInvalid());
  EXPECT_NE(outside.status().message().find("do not satisfy"), std::string::npos);

  auto whole = Overwrite(*table_, DataSource::FromQuery(kTrips), std::nullopt);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(Count(), 30);

  WriteOptions schema_overwrite;
  schema_overwrite.schema_mode = SchemaMode::kOverwrite;
  auto reshaped = Overwrite(*table_, DataSource::FromQuery("SELECT 'x' AS city, 1 AS n"),
                            std::nullopt, schema_overwrite);
  ASSERT_TRUE(reshaped.ok()) << reshaped.status().ToString();
  EXPECT_EQ(Load()->schema.FieldNames(), (std::vector<std::string>{"city", "n"}));
  EXPECT_EQ(TableRows(), std::vector<std::string>{"x|1"});
}

TEST_F(WriterTest, DeleteWherePartitionPredicate) {
  MustCreate(kTrips, {"city"});
  auto deleted = DeleteRows(*table_, "city IN ('paris', 'rome')");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->files_removed, 2);
  EXPECT_EQ(deleted->version, 1);
  EXPECT_EQ(Count(), 10);
  EXPECT_EQ(Count(0), 30);
  EXPECT_EQ(Load()->tombstones.size(), 2u);

  auto nothing = DeleteRows(*table_, "city = 'nowhere'");
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->committed);
  EXPECT_EQ(nothing->version, 1);

  // A data column: row by row (dml.h).
  auto data_column = DeleteRows(*table_, "fare > 3");
  ASSERT_TRUE(data_column.ok()) << data_column.status().ToString();
  EXPECT_EQ(data_column->mode, "copy-on-write");
  auto unknown = DeleteRows(*table_, "planet = 'mars'");
  ASSERT_TRUE(unknown.status().IsInvalid());
  EXPECT_NE(unknown.status().message().find("planet"), std::string::npos);
}

TEST_F(WriterTest, NullPartitionValues) {
  MustCreate("SELECT 1::BIGINT AS id, NULL::VARCHAR AS city UNION ALL SELECT 2, 'rome'", {"city"});
  auto snapshot = Load();
  ASSERT_EQ(snapshot->files.size(), 2u);
  int nulls = 0;
  for (const auto& file : snapshot->files) nulls += file.partition_values.at("city") ? 0 : 1;
  EXPECT_EQ(nulls, 1);
  auto line = SerializeAction(snapshot->files[0]);
  EXPECT_EQ(TableRows(), (std::vector<std::string>{"1|NULL", "2|rome"}));
  auto deleted = DeleteRows(*table_, "city IS NULL");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(TableRows(), std::vector<std::string>{"2|rome"});
}

TEST_F(WriterTest, IdempotentAppends) {
  MustCreate(kTrips);
  WriteOptions options;
  options.app_id = "loader";
  options.app_version = 1;
  WriteResult first = MustAppend("SELECT 100::BIGINT AS id", options);
  EXPECT_TRUE(first.committed);
  WriteResult again = MustAppend("SELECT 100::BIGINT AS id", options);
  EXPECT_TRUE(again.skipped);
  EXPECT_EQ(again.version, 1);
  EXPECT_EQ(Count(), 31);
}

TEST_F(WriterTest, CheckpointReadsBackLikeJsonReplay) {
  MustCreate(kTrips, {"city"}, {{"delta.checkpointInterval", "3"}});
  WriteOptions merge;
  merge.schema_mode = SchemaMode::kMerge;
  merge.app_id = "app";
  merge.app_version = 9;
  MustAppend("SELECT 100::BIGINT AS id, 'a b/c:d' AS city, 1.0::DOUBLE AS fare, 1 AS tip", merge);
  ASSERT_TRUE(DeleteRows(*table_, "city = 'rome'").ok());
  WriteResult third = MustAppend("SELECT 101::BIGINT AS id, 'oslo' AS city");  // version 3
  EXPECT_TRUE(third.post_commit_status.ok()) << third.post_commit_status.ToString();
  auto last = table_->log().ReadLastCheckpoint();
  ASSERT_TRUE(last.ok() && last->has_value()) << last.status().ToString();
  EXPECT_EQ((*last)->version, 3);
  MustAppend("SELECT 102::BIGINT AS id, 'oslo' AS city");

  auto from_checkpoint = Load();
  ASSERT_TRUE(from_checkpoint);
  EXPECT_EQ(from_checkpoint->checkpoint_version, 3);
  LogReplay replay;
  for (int64_t v = 0; v <= 4; ++v) {
    ASSERT_TRUE(replay.ApplyCommit(v, *table_->log().ReadCommit(v), 0).ok());
  }
  auto from_json = replay.Finish(table_->uri());
  ASSERT_TRUE(from_json.ok());
  ASSERT_EQ(from_json->files.size(), from_checkpoint->files.size());
  for (size_t i = 0; i < from_json->files.size(); ++i) {
    AddFile expected = from_json->files[i];
    AddFile actual = from_checkpoint->files[i];
    // Checkpoints store adds with dataChange=false.
    expected.data_change = actual.data_change = true;
    EXPECT_EQ(actual, expected) << SerializeAction(actual) << "\n" << SerializeAction(expected);
  }
  EXPECT_EQ(from_checkpoint->metadata, from_json->metadata);
  EXPECT_EQ(from_checkpoint->protocol, from_json->protocol);
  EXPECT_EQ(from_checkpoint->AppTransactionVersion("app"), 9);
  EXPECT_EQ(from_checkpoint->tombstones.size(), 1u);
  EXPECT_EQ(TableRows(), TableRows(4));
  EXPECT_EQ(Count(), 23);
}

TEST_F(WriterTest, LogCleanupKeepsEverythingFromTheNewestOldCheckpoint) {
  MustCreate(kTrips, {}, {{"delta.checkpointInterval", "2"},
                          {"delta.logRetentionDuration", "interval 0 days"}});
  MustAppend("SELECT 100::BIGINT AS id");
  MustAppend("SELECT 101::BIGINT AS id");  // version 2: checkpoint, then cleanup
  auto listing = table_->log().List();
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->commits.count(0), 0u);
  EXPECT_EQ(listing->commits.count(1), 0u);
  EXPECT_EQ(listing->commits.count(2), 1u);
  MustAppend("SELECT 102::BIGINT AS id");
  EXPECT_EQ(Count(), 33);
  EXPECT_EQ(Count(2), 32);
  EXPECT_TRUE(table_->LoadSnapshot(1).status().IsInvalid());
}

TEST_F(WriterTest, TimeTravelOverTwoHundredCommits) {
  CreateTableOptions options;
  options.schema = *SchemaFromDuckDb({{"id", "BIGINT"}, {"batch", "INTEGER"}});
  options.properties = {{"delta.checkpointInterval", "50"}};
  ASSERT_TRUE(CreateTable(*table_, options).ok());
  for (int k = 1; k <= 200; ++k) {
    MustAppend("SELECT (" + std::to_string(k) + " * 1000 + i)::BIGINT AS id, " +
               std::to_string(k) + " AS batch FROM range(" + std::to_string(k % 3 + 1) + ") t(i)");
  }
  auto latest = Load();
  EXPECT_EQ(latest->version, 200);
  EXPECT_EQ(latest->checkpoint_version, 200);
  for (int64_t k : {0, 1, 2, 49, 50, 51, 99, 100, 137, 199, 200}) {
    auto rows = Rows("SELECT count(*), COALESCE(max(batch), 0), count(DISTINCT batch) FROM (" +
                     ScanSnapshot(*table_, *Load(k))->sql + ")");
    int64_t expected_rows = 0;
    for (int b = 1; b <= k; ++b) expected_rows += b % 3 + 1;
    EXPECT_EQ(rows, std::vector<std::string>{std::to_string(expected_rows) + "|" +
                                             std::to_string(k) + "|" + std::to_string(k)})
        << "version " << k;
  }
  // By timestamp: the commit timestamp of version k selects version k.
  auto history = table_->log().History();
  ASSERT_TRUE(history.ok());
  for (const auto& record : *history) {
    if (record.version % 40 != 7) continue;
    auto version = table_->log().VersionAtTimestamp(record.timestamp_ms);
    ASSERT_TRUE(version.ok());
    // Several commits may share a millisecond; the latest of them is chosen.
    EXPECT_GE(*version, record.version);
    auto snapshot = table_->LoadSnapshotAtTimestamp(record.timestamp_ms);
    ASSERT_TRUE(snapshot.ok());
    EXPECT_EQ((*snapshot)->version, *version);
  }
}

TEST_F(WriterTest, CsvSourcesAreTypedByTheTable) {
  auto dir = std::filesystem::temp_directory_path() / testing::UniqueName("delta-csv");
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::string path = (dir / name).string();
    FILE* file = std::fopen(path.c_str(), "w");
    std::fwrite(text.data(), 1, text.size(), file);
    std::fclose(file);
    return path;
  };
  std::string v0 = write("v0.csv", "id,city,tip\n1,paris,3\n2,rome,4\n");
  std::string v1 = write("v1.csv", "id,city,tip\n3,paris,\n4,paris,\n");
  CreateTableOptions options;
  options.source = *DataSource::FromFile(v0);
  options.partition_columns = {"city"};
  ASSERT_TRUE(CreateTable(*table_, options).ok());
  auto appended = Append(*table_, *DataSource::FromFile(v1));
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_EQ(TableRows(), (std::vector<std::string>{"1|paris|3", "2|rome|4", "3|paris|NULL",
                                                   "4|paris|NULL"}));
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(DataSource::FromFile("x.xlsx").status().IsInvalid());
}

// A DELETE racing an append commutes (dml_test.cc: DeleteRacingAnAppendCommutes).

TEST_F(WriterTest, ConcurrentAppendsBothLand) {
  MustCreate(kTrips);
  WriteOptions options;
  bool raced = false;
  options.commit.before_commit = [&](int64_t) {
    if (raced) return;
    raced = true;
    MustAppend("SELECT 200::BIGINT AS id, 'x' AS city, 0.0::DOUBLE AS fare");
  };
  WriteResult result =
      MustAppend("SELECT 201::BIGINT AS id, 'y' AS city, 0.0::DOUBLE AS fare", options);
  EXPECT_EQ(result.version, 2);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(Count(), 32);
}

TEST_F(WriterTest, UnknownReaderFeatureIsUnsupported) {
  MustCreate(kTrips);
  Protocol protocol{3, 7, std::vector<std::string>{"variantType"},
                    std::vector<std::string>{"variantType"}};
  ASSERT_TRUE(table_->store().PutIfAbsent(CommitKey(1), SerializeCommit({protocol})).ok());
  auto snapshot = table_->LoadSnapshot();
  ASSERT_TRUE(snapshot.status().IsUnsupported());
  EXPECT_EQ(snapshot.status().message(),
            "table requires reader feature 'variantType' which neuralake does not support");
  auto appended = Append(*table_, DataSource::FromQuery("SELECT 1::BIGINT AS id"));
  ASSERT_TRUE(appended.status().IsUnsupported());
  // Older versions stay readable.
  EXPECT_EQ(Count(0), 30);
}

TEST_F(WriterTest, CompactionRewritesFilesWithoutChangingData) {
  MustCreate(kTrips, {"city"});
  MustAppend("SELECT 100::BIGINT AS id, 'paris' AS city, 1.0::DOUBLE AS fare");
  MustAppend("SELECT 101::BIGINT AS id, 'paris' AS city, 2.0::DOUBLE AS fare");
  auto snapshot = Load();
  std::vector<AddFile> paris;
  for (const auto& file : snapshot->files) {
    if (file.partition_values.at("city") == "paris") paris.push_back(file);
  }
  ASSERT_EQ(paris.size(), 3u);
  auto scan = ScanSnapshot(*table_, *snapshot, &paris);
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_EQ(Rows("SELECT count(*) FROM (" + scan->sql + ")"), std::vector<std::string>{"12"});
  auto rewritten = WriteFiles(*table_, *snapshot, DataSource::FromQuery(scan->sql));
  ASSERT_TRUE(rewritten.ok()) << rewritten.status().ToString();
  ASSERT_EQ(rewritten->size(), 1u);

  Transaction txn(&table_->log(), snapshot);
  txn.SetOperation("OPTIMIZE");
  for (const auto& file : paris) {
    txn.ReadFile(file.path);
    txn.AddAction(RemoveFor(file, NowMs(), /*data_change=*/false));
  }
  for (AddFile add : *rewritten) {
    add.data_change = false;
    txn.AddAction(add);
  }
  // A concurrent append (even into paris) commutes with the rewrite.
  CommitOptions options;
  bool raced = false;
  options.before_commit = [&](int64_t) {
    if (raced) return;
    raced = true;
    MustAppend("SELECT 102::BIGINT AS id, 'paris' AS city, 3.0::DOUBLE AS fare");
  };
  auto committed = txn.Commit(options);
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_EQ(committed->version, 4);
  EXPECT_EQ(Count(), 33);
  EXPECT_EQ(TableRows(4), TableRows(3));  // the rewrite changed no data
  int64_t paris_files = 0;
  auto latest = Load();
  for (const auto& file : latest->files) paris_files += file.partition_values.at("city") == "paris";
  EXPECT_EQ(paris_files, 2);
}

TEST_F(WriterTest, ReadsColumnMappingNameMode) {
  // A table as Spark writes it with delta.columnMapping.mode=name: physical column names in the
  // files and in partitionValues.
  ASSERT_TRUE(engine_
                  ->Execute("COPY (SELECT 1::BIGINT AS \"col-1\", 'one' AS \"col-2\") TO " +
                            engine::Engine::QuoteLiteral(table_->DataFileUri("p/part-0.parquet")) +
                            " (FORMAT parquet)")
                  .ok());
  auto field = [](const char* name, const char* type, int id) {
    return nlohmann::json{{"name", name},
                          {"type", type},
                          {"nullable", true},
                          {"metadata",
                           {{"delta.columnMapping.id", id},
                            {"delta.columnMapping.physicalName", std::string("col-") +
                                                                     std::to_string(id)}}}};
  };
  Metadata metadata;
  metadata.id = NewUuid();
  metadata.schema_string = nlohmann::json{{"type", "struct"},
                                          {"fields",
                                           {field("id", "long", 1), field("label", "string", 2),
                                            field("part", "string", 3)}}}
                               .dump();
  metadata.partition_columns = {"part"};
  metadata.configuration = {{"delta.columnMapping.mode", "name"},
                            {"delta.columnMapping.maxColumnId", "3"}};
  AddFile add;
  add.path = "p/part-0.parquet";
  add.partition_values = {{"col-3", "x"}};
  add.size = table_->store().Head("p/part-0.parquet")->size;
  ASSERT_TRUE(table_->store()
                  .PutIfAbsent(CommitKey(0), SerializeCommit({Protocol{2, 5, {}, {}}, metadata, add}))
                  .ok());
  EXPECT_EQ(TableRows(), std::vector<std::string>{"1|one|x"});
  EXPECT_TRUE(Append(*table_, DataSource::FromQuery("SELECT 2::BIGINT AS id"))
                  .status()
                  .IsUnsupported());
}

// Every string partition value comes back as written, in the log and in scans: null and '' are
// null (Delta/Spark), the marker and escape strings are ordinary values.
TEST_F(WriterTest, PartitionValuesAreEncodedInjectively) {
  const std::vector<std::string> values = {
      "NULL", "null", "__HIVE_DEFAULT_PARTITION__", "%__HIVE_DEFAULT_PARTITION__", "%", "%%",
      "%2F", "%25", "/", "a/b", "=", "a=b", "a b", " x ", "\u00e9\u20ac", ".", "..", "?#:*",
      "a\\b", "'", "\""};
  std::string query = "SELECT 0::BIGINT AS id, NULL::VARCHAR AS p UNION ALL SELECT 1, ''";
  for (size_t i = 0; i < values.size(); ++i) {
    query += " UNION ALL SELECT " + std::to_string(i + 2) + ", " +
             engine::Engine::QuoteLiteral(values[i]);
  }
  MustCreate(query, {"p"});
  auto snapshot = Load();
  std::map<int64_t, std::optional<std::string>> logged;  // id -> partition value in the log
  std::set<std::string> paths;
  for (const auto& file : snapshot->files) {
    EXPECT_TRUE(paths.insert(file.path).second);
    auto rows = Rows("SELECT id FROM read_parquet(" +
                     engine::Engine::QuoteLiteral(table_->DataFileUri(file.path)) + ")");
    for (const auto& id : rows) logged[std::stoll(id)] = file.partition_values.at("p");
  }
  ASSERT_EQ(logged.size(), values.size() + 2);
  EXPECT_EQ(logged[0], std::nullopt);
  EXPECT_EQ(logged[1], std::nullopt);
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(logged[static_cast<int64_t>(i + 2)], values[i]) << values[i];
  }
  auto sql = ScanSnapshot(*table_, *snapshot);
  ASSERT_TRUE(sql.ok());
  auto result = engine_->Query("SELECT id, p FROM (" + sql->sql + ") ORDER BY id");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->rows.size(), values.size() + 2);
  EXPECT_EQ(result->rows[0][1], std::nullopt);
  EXPECT_EQ(result->rows[1][1], std::nullopt);
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(result->rows[i + 2][1], values[i]);
  // Predicates see the same values.
  auto deleted = DeleteRows(*table_, "p = 'NULL' OR p = '__HIVE_DEFAULT_PARTITION__'");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->files_removed, 2);
  EXPECT_EQ(Count(), static_cast<int64_t>(values.size()));
}

// A timestamp partition value without an offset (as delta-rs writes it) is UTC; '' is null.
TEST_F(WriterTest, PartitionValuesAsOtherWritersEncodeThem) {
  auto field = [](const char* name, const char* type) {
    return nlohmann::json{{"name", name}, {"type", type}, {"nullable", true}, {"metadata", {}}};
  };
  ASSERT_TRUE(engine_
                  ->Execute("COPY (SELECT 1::BIGINT AS id) TO " +
                            engine::Engine::QuoteLiteral(table_->DataFileUri("part-0.parquet")) +
                            " (FORMAT parquet)")
                  .ok());
  Metadata metadata;
  metadata.id = NewUuid();
  metadata.schema_string =
      nlohmann::json{{"type", "struct"},
                     {"fields",
                      {field("id", "long"), field("ts", "timestamp"), field("n", "integer"),
                       field("b", "boolean"), field("d", "decimal(10,2)"),
                       field("day", "date")}}}
          .dump();
  metadata.partition_columns = {"ts", "n", "b", "d", "day"};
  AddFile add;
  add.path = "part-0.parquet";
  add.partition_values = {{"ts", "2024-01-02 03:04:05.123456"},
                          {"n", ""},
                          {"b", "true"},
                          {"d", "-12.50"},
                          {"day", "2024-02-29"}};
  add.size = table_->store().Head("part-0.parquet")->size;
  ASSERT_TRUE(table_->store()
                  .PutIfAbsent(CommitKey(0), SerializeCommit({Protocol{1, 2, {}, {}}, metadata, add}))
                  .ok());
  EXPECT_EQ(TableRows(std::nullopt,
                      "id, epoch_us(ts), n, b, d, day"),
            std::vector<std::string>{"1|1704164645123456|NULL|true|-12.50|2024-02-29"});
}

TEST_F(WriterTest, FailedConversionLeavesNoFiles) {
  auto dir = std::filesystem::temp_directory_path() / testing::UniqueName("delta-litter");
  std::filesystem::create_directories(dir / "in");
  auto table = Open((dir / "t").string());
  CreateTableOptions options;
  options.source = DataSource::FromQuery("SELECT 1::BIGINT AS id");
  ASSERT_TRUE(CreateTable(*table, options).ok());
  // The table types the CSV column as BIGINT; row 5000 does not convert, after the first rows
  // were already written.
  std::string csv = (dir / "in" / "bad.csv").string();
  {
    std::string text = "id\n";
    for (int i = 0; i < 5000; ++i) text += std::to_string(i) + "\n";
    text += "x\n";
    FILE* file = std::fopen(csv.c_str(), "w");
    std::fwrite(text.data(), 1, text.size(), file);
    std::fclose(file);
  }
  auto appended = Append(*table, *DataSource::FromFile(csv));
  ASSERT_FALSE(appended.ok());
  std::vector<std::string> data_files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "t")) {
    std::string relative = std::filesystem::relative(entry.path(), dir / "t").string();
    if (entry.is_regular_file() && relative.rfind("_delta_log", 0) != 0) {
      data_files.push_back(relative);
    }
  }
  EXPECT_EQ(data_files.size(), 1u) << "files left: " << ::testing::PrintToString(data_files);
  EXPECT_EQ(*table->log().LatestVersion(), 0);
  std::filesystem::remove_all(dir);
}

TEST_F(WriterTest, EmptyInputsAreRefusedAndZeroRowsAreNotCommitted) {
  auto dir = std::filesystem::temp_directory_path() / testing::UniqueName("delta-empty");
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::string path = (dir / name).string();
    FILE* file = std::fopen(path.c_str(), "w");
    std::fwrite(text.data(), 1, text.size(), file);
    std::fclose(file);
    return path;
  };
  std::string empty_csv = write("empty.csv", "");
  std::string empty_json = write("empty.json", "");
  std::string blank_csv = write("blank.csv", " \n\n");
  std::string header_only = write("header.csv", "id,city\n");
  for (const auto& path : {empty_csv, empty_json, blank_csv}) {
    CreateTableOptions options;
    options.source = *DataSource::FromFile(path);
    auto created = CreateTable(*table_, options);
    ASSERT_TRUE(created.status().IsInvalid()) << path << ": " << created.status().ToString();
    EXPECT_EQ(created.status().message(), "'" + path + "' is empty: no header/columns");
  }
  EXPECT_FALSE(*table_->Exists());

  // create from a header-only CSV: the table with its schema and no files.
  CreateTableOptions options;
  options.source = *DataSource::FromFile(header_only);
  auto created = CreateTable(*table_, options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->files_added, 0);
  EXPECT_EQ(Load()->schema.FieldNames(), (std::vector<std::string>{"id", "city"}));

  WriteOptions merge;
  merge.schema_mode = SchemaMode::kMerge;
  for (const auto& path : {empty_csv, empty_json}) {
    auto appended = Append(*table_, *DataSource::FromFile(path), merge);
    EXPECT_TRUE(appended.status().IsInvalid()) << appended.status().ToString();
  }
  // Zero rows (header-only CSV, zero-row query): nothing committed, version unchanged.
  auto appended = Append(*table_, *DataSource::FromFile(header_only));
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_FALSE(appended->committed);
  EXPECT_EQ(appended->version, 0);
  appended = Append(*table_, DataSource::FromQuery("SELECT '1' AS id, 'x' AS city, "
                                                   "2 AS extra WHERE false"), merge);
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_FALSE(appended->committed);
  EXPECT_EQ(*table_->log().LatestVersion(), 0);
  EXPECT_EQ(Load()->schema.FieldNames(), (std::vector<std::string>{"id", "city"}));
  // An idempotent write of zero rows still records its txn.
  WriteOptions idempotent;
  idempotent.app_id = "app";
  idempotent.app_version = 1;
  appended = Append(*table_, DataSource::FromFile(header_only).value(), idempotent);
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_TRUE(appended->committed);
  EXPECT_EQ(*table_->log().LatestVersion(), 1);
  std::filesystem::remove_all(dir);
}

TEST_F(WriterTest, TablesAreNotCreatedAtBucketRoots) {
  TableOptions table_options;
  table_options.engine = engine_;
  table_options.storage.s3.access_key = "unused";
  table_options.storage.s3.secret_key = "unused";
  auto table = DeltaTable::Open("s3://lake", table_options);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  CreateTableOptions options;
  options.source = DataSource::FromQuery("SELECT 1 AS id");
  auto created = CreateTable(**table, options);  // refused before any request is made
  ASSERT_TRUE(created.status().IsInvalid()) << created.status().ToString();
  EXPECT_NE(created.status().message().find("bucket root"), std::string::npos);
  EXPECT_TRUE(DeltaTable::Open("s3://", table_options).status().IsInvalid());
  EXPECT_TRUE(DeltaTable::Open("s3://lake/../etc", table_options).status().IsInvalid());
}

// Column mapping renames nested fields too: struct fields, list<struct> elements, map values;
// renamed (logical name changed, physical kept) and dropped at several depths.
TEST_F(WriterTest, ReadsNestedColumnMapping) {
  // Physical layout of the files: c1 BIGINT, c2 STRUCT(c3 INT, c4 STRUCT(c5 VARCHAR, c6 INT)),
  // c7 STRUCT(c8 INT, c9 VARCHAR)[], c10 MAP(VARCHAR, STRUCT(c11 INT, c12 INT)).
  ASSERT_TRUE(engine_
                  ->Execute(
                      "COPY (SELECT 1::BIGINT AS c1, {'c3': 10, 'c4': {'c5': 'deep', 'c6': 7}} "
                      "AS c2, [{'c8': 1, 'c9': 'a'}, NULL, {'c8': 2, 'c9': NULL}] AS c7, "
                      "MAP {'k': {'c11': 5, 'c12': 6}, 'n': NULL} AS c10 UNION ALL SELECT 2, "
                      "NULL, NULL, NULL UNION ALL SELECT 3, {'c3': NULL, 'c4': NULL}, [], MAP {}) TO " +
                      engine::Engine::QuoteLiteral(table_->DataFileUri("part-0.parquet")) +
                      " (FORMAT parquet)")
                  .ok());
  auto field = [](const std::string& name, nlohmann::json type, int id) {
    return nlohmann::json{{"name", name},
                          {"type", type},
                          {"nullable", true},
                          {"metadata",
                           {{"delta.columnMapping.id", id},
                            {"delta.columnMapping.physicalName", "c" + std::to_string(id)}}}};
  };
  auto strct = [](std::vector<nlohmann::json> fields) {
    return nlohmann::json{{"type", "struct"}, {"fields", fields}};
  };
  // Renamed: c4 -> "inner" (was "b"), c9 -> "label", c12 -> "w"; dropped: c6 (in c4), c11 (in
  // map values).
  nlohmann::json schema = strct(
      {field("id", "long", 1),
       field("s", strct({field("a", "integer", 3),
                         field("inner", strct({field("text", "string", 5)}), 4)}),
             2),
       field("items",
             {{"type", "array"},
              {"elementType", strct({field("n", "integer", 8), field("label", "string", 9)})},
              {"containsNull", true}},
             7),
       field("m",
             {{"type", "map"},
              {"keyType", "string"},
              {"valueType", strct({field("w", "integer", 12)})},
              {"valueContainsNull", true}},
             10)});
  Metadata metadata;
  metadata.id = NewUuid();
  metadata.schema_string = schema.dump();
  metadata.configuration = {{"delta.columnMapping.mode", "name"},
                            {"delta.columnMapping.maxColumnId", "12"}};
  AddFile add;
  add.path = "part-0.parquet";
  add.size = table_->store().Head("part-0.parquet")->size;
  ASSERT_TRUE(table_->store()
                  .PutIfAbsent(CommitKey(0), SerializeCommit({Protocol{2, 5, {}, {}}, metadata, add}))
                  .ok());
  EXPECT_EQ(TableRows(std::nullopt,
                      "id, s.a, s.inner.text, to_json(s), to_json(items), to_json(m)"),
            (std::vector<std::string>{
                "1|10|deep|{\"a\":10,\"inner\":{\"text\":\"deep\"}}|"
                "[{\"n\":1,\"label\":\"a\"},null,{\"n\":2,\"label\":null}]|"
                "{\"k\":{\"w\":6},\"n\":null}",
                "2|NULL|NULL|NULL|NULL|NULL",
                "3|NULL|NULL|{\"a\":null,\"inner\":null}|[]|{}"}));
}

TEST_F(WriterTest, LocalDirectoryTable) {
  auto dir = std::filesystem::temp_directory_path() / testing::UniqueName("delta-local");
  auto table = Open(dir.string());
  CreateTableOptions options;
  options.source = DataSource::FromQuery(kTrips);
  options.partition_columns = {"city"};
  auto created = CreateTable(*table, options);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir / "_delta_log" / "00000000000000000000.json"));
  auto snapshot = table->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok());
  auto sql = ScanSnapshot(*table, **snapshot);
  EXPECT_EQ(Rows("SELECT count(*) FROM (" + sql->sql + ")"), std::vector<std::string>{"30"});
  ASSERT_TRUE(WriteCheckpoint(*table, **snapshot).ok());
  auto reloaded = table->LoadSnapshot();
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_EQ((*reloaded)->checkpoint_version, 0);
  EXPECT_EQ((*reloaded)->files.size(), 3u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace neuralake::delta
