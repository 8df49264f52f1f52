// V2 checkpoints (PROTOCOL.md "V2 Checkpoint Table Feature"): UUID-named JSON and Parquet
// checkpoints with a checkpointMetadata action and sidecar files in `_delta_log/_sidecars/`,
// classic-named V2 checkpoints, `_last_checkpoint` naming them, sidecar cleanup, and the protocol
// checks for the table features Spark puts on its tables.
//
// The log-level cases use a memory store and a fake Parquet reader (JSON lines under Parquet
// names); the table-level cases write real Parquet sidecars through the engine and read the rows
// back through the scan path.
#include <gtest/gtest.h>

#include "neuralake/delta/checkpoint.h"
#include "neuralake/delta/log.h"
#include "neuralake/delta/dml.h"
#include "neuralake/delta/shared_engine_test.h"
#include "neuralake/delta/table.h"
#include "neuralake/delta/test_support.h"
#include "neuralake/delta/transaction.h"
#include "neuralake/delta/writer.h"
#include "neuralake/engine/parquet_json.h"
#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

constexpr const char* kUuid = "80a083e8-7026-4e79-81be-64bd76c43a11";

std::string UuidCheckpointKey(int64_t version, const std::string& extension) {
  return std::string(kLogPrefix) + VersionString(version) + ".checkpoint." + kUuid + "." +
         extension;
}

UnknownAction CheckpointMetadataAction(int64_t version) {
  return UnknownAction{"checkpointMetadata", {{"version", version}, {"tags", nlohmann::json::object()}}};
}

UnknownAction SidecarAction(const std::string& path) {
  return UnknownAction{
      "sidecar", {{"path", path}, {"sizeInBytes", 100}, {"modificationTime", 1}, {"tags", {}}}};
}

Metadata TableMetadata() {
  Metadata metadata;
  metadata.id = "11111111-2222-3333-4444-555555555555";
  metadata.schema_string =
      R"({"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]})";
  return metadata;
}

AddFile Add(std::string path) {
  AddFile add;
  add.path = std::move(path);
  add.size = 10;
  add.modification_time = 1;
  return add;
}

RemoveFile Remove(std::string path) {
  RemoveFile remove;
  remove.path = std::move(path);
  remove.deletion_timestamp = 2;
  return remove;
}

std::vector<std::string> Paths(const Snapshot& snapshot) {
  std::vector<std::string> paths;
  for (const auto& file : snapshot.files) paths.push_back(file.path);
  return paths;
}

TEST(SidecarKeyTest, ResolvesNamesAndUrisIntoTheSidecarFolder) {
  EXPECT_EQ(*SidecarKey("016ae953.parquet"), "_delta_log/_sidecars/016ae953.parquet");
  EXPECT_EQ(*SidecarKey("s3://lake/t/_delta_log/_sidecars/a%20b.parquet"),
            "_delta_log/_sidecars/a b.parquet");
  EXPECT_EQ(*SidecarKey("file:/tmp/t/_delta_log/_sidecars/x.parquet"),
            "_delta_log/_sidecars/x.parquet");
  EXPECT_FALSE(SidecarKey("s3://lake/t/part-0.parquet").ok());
  EXPECT_FALSE(SidecarKey("../../etc/passwd").ok());
  EXPECT_FALSE(SidecarKey("").ok());
}

TEST(V2ProtocolTest, SparkTableFeatures) {
  Protocol protocol;
  protocol.min_reader_version = 3;
  protocol.min_writer_version = 7;
  protocol.reader_features = {{"v2Checkpoint", "timestampNtz", "columnMapping"}};
  protocol.writer_features = {{"v2Checkpoint", "timestampNtz", "columnMapping", "domainMetadata",
                               "clustering", "vacuumProtocolCheck", "appendOnly", "invariants"}};
  Metadata metadata = TableMetadata();
  Schema schema = *ParseSchema(metadata.schema_string);
  EXPECT_TRUE(CheckReadSupported(protocol, metadata).ok());
  EXPECT_TRUE(CheckWriteSupported(protocol, metadata, schema).ok());

  // Row tracking: readable, writes refused by name unless suspended.
  protocol.writer_features->push_back("rowTracking");
  metadata.configuration["delta.enableRowTracking"] = "true";
  EXPECT_TRUE(CheckReadSupported(protocol, metadata).ok());
  Status write = CheckWriteSupported(protocol, metadata, schema);
  EXPECT_TRUE(write.IsUnsupported()) << write.ToString();
  EXPECT_NE(write.message().find("'rowTracking'"), std::string::npos) << write.ToString();
  metadata.configuration.erase("delta.enableRowTracking");
  metadata.configuration["delta.rowTrackingSuspended"] = "true";
  EXPECT_TRUE(CheckWriteSupported(protocol, metadata, schema).ok());

  // Features we do not implement are named.
  protocol.reader_features->push_back("catalogManaged");
  Status read = CheckReadSupported(protocol, metadata);
  EXPECT_NE(read.message().find("'catalogManaged'"), std::string::npos) << read.ToString();
}

// Decodes fake Parquet checkpoint and sidecar files: JSON action lines.
Result<std::vector<Action>> FakeParquetReader(storage::ObjectStore* store,
                                              const CheckpointFiles& files) {
  std::vector<Action> all;
  for (const auto& file : files.files) {
    auto text = store->Get(file.key);
    if (!text.ok()) return Status::Corrupt("cannot read " + file.key + ": " + text.status().message());
    NL_ASSIGN_OR_RETURN(auto actions, ParseCommit(*text, file.key));
    for (auto& action : actions) all.push_back(std::move(action));
  }
  return all;
}

class V2LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = testing::UniqueName("delta-v2log");
    auto store = storage::MakeMemoryObjectStore(name, "table");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    log_ = std::make_unique<DeltaLog>(store_.get(), "memory://" + name + "/table",
                                      [this](const CheckpointFiles& files) {
                                        return FakeParquetReader(store_.get(), files);
                                      });
    // 0: create; 1: two adds + txn; 2: remove a, add d + domain; 3: add e.
    Protocol protocol;
    protocol.min_reader_version = 3;
    protocol.min_writer_version = 7;
    protocol.reader_features = {{"v2Checkpoint"}};
    protocol.writer_features = {{"v2Checkpoint", "domainMetadata"}};
    Metadata metadata = TableMetadata();
    metadata.configuration["delta.checkpointPolicy"] = "v2";
    Commit(0, {protocol, metadata, Add("a")});
    Commit(1, {Add("b"), Add("c"), SetTransaction{"app", 7, std::nullopt}});
    Commit(2, {Remove("a"), Add("d"), DomainMetadata{"delta.clustering", "{}", false}});
    Commit(3, {Add("e")});
  }

  void Commit(int64_t version, std::vector<Action> actions) {
    ASSERT_TRUE(store_->PutIfAbsent(CommitKey(version), SerializeCommit(actions)).ok());
  }

  void Put(const std::string& key, const std::vector<Action>& actions) {
    ASSERT_TRUE(store_->Put(key, SerializeCommit(actions)).ok());
  }

  // A V2 checkpoint of version 2 under `key`: non-file actions at the top, the adds and the
  // tombstone in two sidecars.
  void WriteV2Checkpoint(const std::string& key, bool with_checkpoint_metadata = true) {
    auto state = log_->LoadSnapshot(2);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    std::vector<Action> top;
    if (with_checkpoint_metadata) top.push_back(CheckpointMetadataAction(2));
    top.push_back((*state)->protocol);
    top.push_back((*state)->metadata);
    for (const auto& [app, txn] : (*state)->app_transactions) top.push_back(txn);
    for (const auto& [domain, value] : (*state)->domains) top.push_back(value);
    top.push_back(SidecarAction("3a0d65cd.parquet"));
    top.push_back(SidecarAction("s3://lake/t/_delta_log/_sidecars/016ae953.parquet"));
    Put(key, top);
    std::vector<Action> first;
    std::vector<Action> second = {(*state)->tombstones.at(0)};
    for (const auto& file : (*state)->files) {
      (first.size() < 2 ? first : second).push_back(file);
    }
    Put("_delta_log/_sidecars/3a0d65cd.parquet", first);
    Put("_delta_log/_sidecars/016ae953.parquet", second);
  }

  // Removes commits 0..2, so a snapshot must come from the checkpoint.
  void DropCommitsBeforeCheckpoint() {
    for (int64_t v = 0; v <= 2; ++v) ASSERT_TRUE(store_->Delete(CommitKey(v)).ok());
  }

  std::unique_ptr<storage::ObjectStore> store_;
  std::unique_ptr<DeltaLog> log_;
};

TEST_F(V2LogTest, JsonUuidCheckpointWithSidecarsEqualsFullReplay) {
  auto full = log_->LoadSnapshot();
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  WriteV2Checkpoint(UuidCheckpointKey(2, "json"));
  DropCommitsBeforeCheckpoint();
  auto snapshot = log_->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ((*snapshot)->checkpoint_version, 2);
  EXPECT_EQ(Paths(**snapshot), (std::vector<std::string>{"b", "c", "d", "e"}));
  EXPECT_EQ(Paths(**snapshot), Paths(**full));
  EXPECT_EQ((*snapshot)->protocol, (*full)->protocol);
  EXPECT_EQ((*snapshot)->metadata, (*full)->metadata);
  EXPECT_EQ((*snapshot)->AppTransactionVersion("app"), 7);
  EXPECT_EQ((*snapshot)->domains.count("delta.clustering"), 1u);
  ASSERT_EQ((*snapshot)->tombstones.size(), 1u);
  EXPECT_EQ((*snapshot)->tombstones[0].path, "a");
  // Time travel to the checkpoint's own version.
  auto at2 = log_->LoadSnapshot(2);
  ASSERT_TRUE(at2.ok()) << at2.status().ToString();
  EXPECT_EQ(Paths(**at2), (std::vector<std::string>{"b", "c", "d"}));
}

TEST_F(V2LogTest, ParquetNamedUuidAndClassicNamedV2Checkpoints) {
  for (const std::string& key : {UuidCheckpointKey(2, "parquet"), CheckpointKey(2)}) {
    SCOPED_TRACE(key);
    SetUp();
    WriteV2Checkpoint(key);
    DropCommitsBeforeCheckpoint();
    auto snapshot = log_->LoadSnapshot();
    ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    EXPECT_EQ((*snapshot)->checkpoint_version, 2);
    EXPECT_EQ(Paths(**snapshot), (std::vector<std::string>{"b", "c", "d", "e"}));
  }
}

TEST_F(V2LogTest, LastCheckpointNamingAUuidCheckpoint) {
  WriteV2Checkpoint(UuidCheckpointKey(2, "json"));
  DropCommitsBeforeCheckpoint();
  // As Spark writes it: the V2 details in a v2Checkpoint object, which we do not need.
  nlohmann::json last = {{"version", 2},
                         {"size", 6},
                         {"sizeInBytes", 900},
                         {"v2Checkpoint",
                          {{"path", VersionString(2) + ".checkpoint." + kUuid + ".json"},
                           {"sizeInBytes", 900},
                           {"modificationTime", 1},
                           {"nonFileActions", nlohmann::json::array()},
                           {"sidecarFiles", nlohmann::json::array()}}}};
  ASSERT_TRUE(store_->Put(kLastCheckpointKey, last.dump()).ok());
  auto latest = log_->LatestVersion();
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, 3);
  auto snapshot = log_->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ((*snapshot)->checkpoint_version, 2);
  EXPECT_EQ((*snapshot)->files.size(), 4u);
}

TEST_F(V2LogTest, MissingSidecarIsCorruptAndNamesIt) {
  WriteV2Checkpoint(UuidCheckpointKey(2, "json"));
  DropCommitsBeforeCheckpoint();
  ASSERT_TRUE(store_->Delete("_delta_log/_sidecars/016ae953.parquet").ok());
  auto snapshot = log_->LoadSnapshot();
  ASSERT_FALSE(snapshot.ok());
  EXPECT_TRUE(snapshot.status().IsCorrupt()) << snapshot.status().ToString();
  EXPECT_NE(snapshot.status().message().find("_delta_log/_sidecars/016ae953.parquet"),
            std::string::npos)
      << snapshot.status().ToString();
}

TEST_F(V2LogTest, UuidCheckpointNeedsItsCheckpointMetadata) {
  WriteV2Checkpoint(UuidCheckpointKey(2, "json"), /*with_checkpoint_metadata=*/false);
  DropCommitsBeforeCheckpoint();
  auto snapshot = log_->LoadSnapshot();
  ASSERT_FALSE(snapshot.ok());
  EXPECT_NE(snapshot.status().message().find("checkpointMetadata"), std::string::npos)
      << snapshot.status().ToString();

  // A checkpointMetadata of another version is as bad.
  SetUp();
  WriteV2Checkpoint(UuidCheckpointKey(2, "json"), /*with_checkpoint_metadata=*/false);
  auto text = store_->Get(UuidCheckpointKey(2, "json"));
  ASSERT_TRUE(text.ok());
  ASSERT_TRUE(store_->Put(UuidCheckpointKey(2, "json"),
                          SerializeAction(CheckpointMetadataAction(5)) + "\n" + *text)
                  .ok());
  DropCommitsBeforeCheckpoint();
  snapshot = log_->LoadSnapshot();
  ASSERT_FALSE(snapshot.ok());
  EXPECT_NE(snapshot.status().message().find("does not name version 2"), std::string::npos)
      << snapshot.status().ToString();
}

TEST_F(V2LogTest, SidecarHoldingOtherActionsIsCorrupt) {
  WriteV2Checkpoint(UuidCheckpointKey(2, "json"));
  Put("_delta_log/_sidecars/3a0d65cd.parquet", {TableMetadata(), Add("b")});
  DropCommitsBeforeCheckpoint();
  auto snapshot = log_->LoadSnapshot();
  ASSERT_FALSE(snapshot.ok());
  EXPECT_NE(snapshot.status().message().find("other than add or remove"), std::string::npos)
      << snapshot.status().ToString();
}

// Real Parquet: a table written by us, then given a V2 checkpoint the way Spark lays it out.
class V2TableTest : public SharedEngineTest {
 protected:
  void SetUp() override {
    table_ = OpenOnEngine("memory://" + testing::UniqueName("delta-v2") + "/t");
    ASSERT_NE(table_, nullptr);
    CreateTableOptions create;
    create.source = DataSource::FromQuery(
        "SELECT i::BIGINT AS id, CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END AS kind "
        "FROM range(10) t(i)");
    create.partition_columns = {"kind"};
    ASSERT_TRUE(CreateTable(*table_, create).ok());
    ASSERT_TRUE(Append(*table_, DataSource::FromQuery("SELECT 100::BIGINT AS id, 'odd' AS kind"))
                    .ok());
    ASSERT_TRUE(DeleteRows(*table_, "kind = 'even'").ok());  // version 2: a tombstone
    ASSERT_TRUE(Append(*table_, DataSource::FromQuery("SELECT 200::BIGINT AS id, 'even' AS kind"))
                    .ok());  // version 3
  }

  std::vector<std::string> Rows(std::optional<int64_t> version = std::nullopt) {
    auto snapshot = table_->LoadSnapshot(version);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    if (!snapshot.ok()) return {};
    auto scan = ScanSnapshot(*table_, **snapshot);
    EXPECT_TRUE(scan.ok()) << scan.status().ToString();
    if (!scan.ok()) return {};
    auto result = engine_->Query("SELECT id || '|' || kind FROM (" + scan->sql + ") ORDER BY id");
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    std::vector<std::string> rows;
    if (!result.ok()) return rows;
    for (const auto& row : result->rows) rows.push_back(row[0].value_or("NULL"));
    return rows;
  }

  // JSON lines -> Parquet bytes with the checkpoint columns plus the V2-only ones.
  std::string Parquet(const std::vector<Action>& actions, bool file_actions_only) {
    std::vector<engine::ParquetField> columns;
    for (auto& field : CheckpointSchema(/*with_domains=*/false)) {
      bool file_action = field.name == "add" || field.name == "remove";
      if (file_action == file_actions_only) columns.push_back(field);
    }
    using Id = engine::ColumnType::Id;
    auto string = engine::ColumnType::Of(Id::kString);
    auto int64 = engine::ColumnType::Of(Id::kInt64);
    auto tags = engine::ColumnType::Map(string, string);
    if (!file_actions_only) {
      columns.push_back({"checkpointMetadata",
                         engine::ColumnType::Struct({"version", "tags"}, {int64, tags})});
      columns.push_back(
          {"sidecar", engine::ColumnType::Struct({"path", "sizeInBytes", "modificationTime", "tags"},
                                                 {string, int64, int64, tags})});
    }
    std::string lines;
    for (const auto& action : actions) lines += SerializeAction(action) + "\n";
    auto bytes = engine::JsonLinesToParquet(*engine_, lines, columns, "v2-test");
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? *bytes : std::string();
  }

  // A V2 checkpoint of version 2 (`top_json`: JSON top-level file, else Parquet) whose adds and
  // tombstones live in one Parquet sidecar; then commits 0..2 are deleted.
  void WriteV2Checkpoint(bool top_json) {
    auto state = table_->LoadSnapshot(2);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    std::vector<Action> files = CheckpointActions(**state, NowMs());
    std::vector<Action> top = {CheckpointMetadataAction(2)};
    std::vector<Action> sidecar;
    for (auto& action : files) {
      bool file_action =
          std::holds_alternative<AddFile>(action) || std::holds_alternative<RemoveFile>(action);
      (file_action ? sidecar : top).push_back(std::move(action));
    }
    ASSERT_GE(sidecar.size(), 3u);
    std::string name = "7d17ac10-5cc3-401b-bd1a-9c82dd2ea032.parquet";
    std::string sidecar_bytes = Parquet(sidecar, /*file_actions_only=*/true);
    ASSERT_TRUE(table_->store().Put(std::string(kSidecarPrefix) + name, sidecar_bytes).ok());
    top.push_back(UnknownAction{"sidecar",
                                {{"path", name},
                                 {"sizeInBytes", static_cast<int64_t>(sidecar_bytes.size())},
                                 {"modificationTime", NowMs()}}});
    if (top_json) {
      ASSERT_TRUE(table_->store().Put(UuidCheckpointKey(2, "json"), SerializeCommit(top)).ok());
    } else {
      ASSERT_TRUE(table_->store()
                      .Put(UuidCheckpointKey(2, "parquet"), Parquet(top, /*file_actions_only=*/false))
                      .ok());
    }
    for (int64_t v = 0; v <= 2; ++v) ASSERT_TRUE(table_->store().Delete(CommitKey(v)).ok());
  }

  std::unique_ptr<DeltaTable> table_;
};


TEST_F(V2TableTest, JsonCheckpointWithParquetSidecarReadsTheSameRows) {
  std::vector<std::string> expected = Rows();
  std::vector<std::string> expected_at2 = Rows(2);
  ASSERT_EQ(expected.size(), 7u);  // 5 odd + 100 + 200
  WriteV2Checkpoint(/*top_json=*/true);
  auto snapshot = table_->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ((*snapshot)->checkpoint_version, 2);
  EXPECT_EQ((*snapshot)->tombstones.size(), 1u);
  EXPECT_EQ(Rows(), expected);
  EXPECT_EQ(Rows(2), expected_at2);
}

TEST_F(V2TableTest, ParquetCheckpointWithParquetSidecarReadsTheSameRows) {
  std::vector<std::string> expected = Rows();
  WriteV2Checkpoint(/*top_json=*/false);
  auto snapshot = table_->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ((*snapshot)->checkpoint_version, 2);
  EXPECT_EQ(Rows(), expected);
}

TEST_F(V2TableTest, OurCheckpointOnAV2TableIsClassicAndCleanupKeepsReferencedSidecars) {
  WriteV2Checkpoint(/*top_json=*/true);
  // An old sidecar that no checkpoint names, and the live one made old too.
  ASSERT_TRUE(table_->store().Put("_delta_log/_sidecars/orphan.parquet", "x").ok());
  auto snapshot = table_->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  auto last = WriteCheckpoint(*table_, **snapshot);
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(last->version, 3);
  auto classic = table_->store().Head(CheckpointKey(3));
  EXPECT_TRUE(classic.ok()) << classic.status().ToString();
  // Cleanup with every file older than the retention: the log keeps the checkpoint at 3, so the
  // V2 checkpoint at 2 and both sidecars go.
  auto cleaned = CleanupLog(*table_, **snapshot, NowMs() + 400LL * 86'400'000);
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  EXPECT_EQ(cleaned->retained_from_version, 3);
  auto sidecars = table_->store().List(kSidecarPrefix);
  ASSERT_TRUE(sidecars.ok());
  EXPECT_TRUE(sidecars->empty());
  EXPECT_EQ(Rows().size(), 7u);
}

TEST_F(V2TableTest, CleanupKeepsSidecarsOfARetainedV2Checkpoint) {
  WriteV2Checkpoint(/*top_json=*/true);
  ASSERT_TRUE(table_->store().Put("_delta_log/_sidecars/orphan.parquet", "x").ok());
  auto snapshot = table_->LoadSnapshot();
  ASSERT_TRUE(snapshot.ok());
  // Only the V2 checkpoint at 2 exists: it is the one retained, so its sidecar stays.
  auto cleaned = CleanupLog(*table_, **snapshot, NowMs() + 400LL * 86'400'000);
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  EXPECT_EQ(cleaned->retained_from_version, 2);
  auto sidecars = table_->store().List(kSidecarPrefix);
  ASSERT_TRUE(sidecars.ok());
  ASSERT_EQ(sidecars->size(), 1u);
  EXPECT_EQ((*sidecars)[0].key, "_delta_log/_sidecars/7d17ac10-5cc3-401b-bd1a-9c82dd2ea032.parquet");
  EXPECT_EQ(Rows().size(), 7u);
}

}  // namespace
}  // namespace neuralake::delta
