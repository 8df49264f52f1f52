// Log listing, replay and snapshots over a memory store. Checkpoints here are written as JSON
// lines under the Parquet names and decoded by a fake reader, so nothing needs the engine.
#include "neuralake/delta/log.h"

#include <gtest/gtest.h>

#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

Protocol DefaultProtocol() { return Protocol{}; }

Metadata TableMetadata(std::vector<std::string> partition_columns = {}) {
  Metadata metadata;
  metadata.id = "11111111-2222-3333-4444-555555555555";
  metadata.schema_string =
      R"({"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}},)"
      R"({"name":"city","type":"string","nullable":true,"metadata":{}}]})";
  metadata.partition_columns = std::move(partition_columns);
  return metadata;
}

AddFile Add(std::string path, int64_t size = 10) {
  AddFile add;
  add.path = std::move(path);
  add.size = size;
  add.modification_time = 1;
  return add;
}

RemoveFile Remove(std::string path) {
  RemoveFile remove;
  remove.path = std::move(path);
  remove.deletion_timestamp = 2;
  return remove;
}

CommitInfo Info(int64_t timestamp) {
  CommitInfo info;
  info.fields = {{"timestamp", timestamp}, {"operation", "WRITE"}};
  return info;
}

std::vector<std::string> Paths(const Snapshot& snapshot) {
  std::vector<std::string> paths;
  for (const auto& file : snapshot.files) paths.push_back(file.path);
  return paths;
}

// Decodes the fake checkpoints: JSON action lines.
Result<std::vector<Action>> FakeCheckpointReader(storage::ObjectStore* store,
                                                 const CheckpointFiles& files) {
  std::vector<Action> all;
  for (const auto& file : files.files) {
    NL_ASSIGN_OR_RETURN(std::string text, store->Get(file.key));
    NL_ASSIGN_OR_RETURN(auto actions, ParseCommit(text, file.key));
    for (auto& action : actions) all.push_back(std::move(action));
  }
  return all;
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = testing::UniqueName("delta-log");
    uri_ = "memory://" + name + "/table";
    auto store = storage::MakeMemoryObjectStore(name, "table");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    log_ = std::make_unique<DeltaLog>(store_.get(), uri_, [this](const CheckpointFiles& files) {
      return FakeCheckpointReader(store_.get(), files);
    });
  }

  void Commit(int64_t version, std::vector<Action> actions) {
    ASSERT_TRUE(store_->PutIfAbsent(CommitKey(version), SerializeCommit(actions)).ok());
  }

  // A fake checkpoint of `snapshot` (JSON lines under the classic or multi-part names).
  void WriteCheckpoint(const Snapshot& snapshot, int parts = 1, bool write_last = true) {
    std::vector<Action> actions = {snapshot.protocol, snapshot.metadata};
    for (const auto& [app, txn] : snapshot.app_transactions) actions.push_back(txn);
    for (const auto& file : snapshot.files) actions.push_back(file);
    for (const auto& tombstone : snapshot.tombstones) actions.push_back(tombstone);
    if (parts == 1) {
      ASSERT_TRUE(store_->Put(CheckpointKey(snapshot.version), SerializeCommit(actions)).ok());
    } else {
      for (int part = 1; part <= parts; ++part) {
        std::vector<Action> slice;
        for (size_t i = 0; i < actions.size(); ++i) {
          if (static_cast<int>(i % parts) == part - 1) slice.push_back(actions[i]);
        }
        ASSERT_TRUE(store_->Put(CheckpointPartKey(snapshot.version, part, parts),
                                SerializeCommit(slice))
                        .ok());
      }
    }
    if (write_last) {
      LastCheckpoint last;
      last.version = snapshot.version;
      last.size = static_cast<int64_t>(actions.size());
      if (parts > 1) last.parts = parts;
      ASSERT_TRUE(store_->Put(kLastCheckpointKey, SerializeLastCheckpoint(last)).ok());
    }
  }

  std::shared_ptr<const Snapshot> Load(std::optional<int64_t> version = std::nullopt) {
    auto snapshot = log_->LoadSnapshot(version);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    return snapshot.ok() ? *snapshot : nullptr;
  }

  std::string uri_;
  std::unique_ptr<storage::ObjectStore> store_;
  std::unique_ptr<DeltaLog> log_;
};

TEST(LogFileNameTest, ParsesEveryKind) {
  EXPECT_EQ(CommitKey(7), "_delta_log/00000000000000000007.json");
  auto commit = ParseLogFileName("_delta_log/00000000000000000007.json");
  EXPECT_EQ(commit.kind, LogFileName::Kind::kCommit);
  EXPECT_EQ(commit.version, 7);
  auto classic = ParseLogFileName(CheckpointKey(10));
  EXPECT_EQ(classic.kind, LogFileName::Kind::kCheckpoint);
  auto part = ParseLogFileName(CheckpointPartKey(10, 2, 3));
  EXPECT_EQ(part.kind, LogFileName::Kind::kCheckpointPart);
  EXPECT_EQ(part.part, 2);
  EXPECT_EQ(part.parts, 3);
  EXPECT_EQ(ParseLogFileName("_delta_log/00000000000000000010.checkpoint."
                             "80a083e8-7026-4e79-81be-64bd76c43a11.json")
                .kind,
            LogFileName::Kind::kUuidCheckpoint);
  EXPECT_EQ(ParseLogFileName("_delta_log/00000000000000000010.crc").kind,
            LogFileName::Kind::kOther);
  EXPECT_EQ(ParseLogFileName("_delta_log/_last_checkpoint").kind, LogFileName::Kind::kOther);
}

TEST(LogReplayTest, ReconcilesAddsRemovesTxnsAndMetadata) {
  LogReplay replay;
  ASSERT_TRUE(replay.ApplyCommit(0, {Info(100), DefaultProtocol(), TableMetadata(), Add("a"),
                                     Add("b")}, 5)
                  .ok());
  ASSERT_TRUE(replay.ApplyCommit(1, {Remove("a"), Add("c"), SetTransaction{"app", 3, {}}}, 6).ok());
  // Re-adding an existing path replaces its entry (e.g. new stats).
  AddFile b_again = Add("b", 99);
  ASSERT_TRUE(replay.ApplyCommit(2, {b_again, SetTransaction{"app", 4, {}}}, 7).ok());
  // A file removed and re-added is live again, not a tombstone.
  ASSERT_TRUE(replay.ApplyCommit(3, {Add("a")}, 8).ok());
  ASSERT_TRUE(replay.ApplyCommit(4, {Remove("c")}, 9).ok());
  Metadata evolved = TableMetadata();
  evolved.configuration["k"] = "v";
  ASSERT_TRUE(replay.ApplyCommit(5, {evolved}, 10).ok());
  EXPECT_TRUE(replay.ApplyCommit(7, {}, 11).IsCorrupt());  // a gap

  auto snapshot = replay.Finish("memory://t");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  EXPECT_EQ(snapshot->version, 5);
  EXPECT_EQ(Paths(*snapshot), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(snapshot->files[1].size, 99);
  ASSERT_EQ(snapshot->tombstones.size(), 1u);
  EXPECT_EQ(snapshot->tombstones[0].path, "c");
  EXPECT_EQ(snapshot->AppTransactionVersion("app"), 4);
  EXPECT_EQ(snapshot->AppTransactionVersion("other"), std::nullopt);
  EXPECT_EQ(snapshot->metadata.configuration.at("k"), "v");
  EXPECT_EQ(snapshot->schema.fields.size(), 2u);
  EXPECT_EQ(snapshot->commit_timestamps.at(0), 100);  // from commitInfo
  EXPECT_EQ(snapshot->commit_timestamps.at(1), 6);    // no commitInfo: file time
}

TEST(LogReplayTest, NeedsProtocolAndMetadata) {
  LogReplay replay;
  ASSERT_TRUE(replay.ApplyCommit(0, {Add("a")}, 1).ok());
  EXPECT_TRUE(replay.Finish("memory://t").status().IsCorrupt());
}

TEST(ProtocolSupportTest, NamesUnsupportedFeatures) {
  Metadata metadata = TableMetadata();
  Schema schema = *ParseSchema(metadata.schema_string);
  EXPECT_TRUE(CheckReadSupported(Protocol{}, metadata).ok());
  EXPECT_TRUE(CheckWriteSupported(Protocol{}, metadata, schema).ok());

  Protocol variant{3, 7, std::vector<std::string>{"variantType"},
                  std::vector<std::string>{"variantType"}};
  Status read = CheckReadSupported(variant, metadata);
  ASSERT_TRUE(read.IsUnsupported());
  EXPECT_EQ(read.message(),
            "table requires reader feature 'variantType' which neuralake does not support");

  Protocol ntz{3, 7, std::vector<std::string>{"timestampNtz"},
               std::vector<std::string>{"timestampNtz", "appendOnly"}};
  EXPECT_TRUE(CheckWriteSupported(ntz, metadata, schema).ok());

  Protocol row_tracking{1, 7, std::nullopt, std::vector<std::string>{"rowTracking"}};
  EXPECT_TRUE(CheckReadSupported(row_tracking, metadata).ok());
  Status write = CheckWriteSupported(row_tracking, metadata, schema);
  ASSERT_TRUE(write.IsUnsupported());
  EXPECT_NE(write.message().find("'rowTracking'"), std::string::npos);

  EXPECT_TRUE(CheckReadSupported(Protocol{4, 7, {}, {}}, metadata).IsUnsupported());

  Metadata constrained = metadata;
  constrained.configuration["delta.constraints.positive"] = "id > 0";
  // CHECK constraints are enforced by the writer (constraints.h), so such tables are writable.
  EXPECT_TRUE(CheckWriteSupported(Protocol{1, 3, {}, {}}, constrained, schema).ok());
}

TEST_F(LogTest, MissingTableIsNotFound) {
  auto snapshot = log_->LoadSnapshot();
  ASSERT_TRUE(snapshot.status().IsNotFound()) << snapshot.status().ToString();
  EXPECT_NE(snapshot.status().message().find(uri_), std::string::npos);
}

TEST_F(LogTest, SnapshotsAtEveryVersion) {
  Commit(0, {Info(1000), DefaultProtocol(), TableMetadata(), Add("a")});
  Commit(1, {Info(2000), Add("b")});
  Commit(2, {Info(3000), Remove("a"), Add("c")});
  EXPECT_EQ(Paths(*Load()), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(Load()->version, 2);
  EXPECT_EQ(Paths(*Load(0)), (std::vector<std::string>{"a"}));
  EXPECT_EQ(Paths(*Load(1)), (std::vector<std::string>{"a", "b"}));
  auto missing = log_->LoadSnapshot(3);
  ASSERT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("latest is 2"), std::string::npos);
  EXPECT_TRUE(log_->LoadSnapshot(-1).status().IsInvalid());
  EXPECT_EQ(*log_->LatestVersion(), 2);
}

TEST_F(LogTest, SnapshotAtTimestamp) {
  Commit(0, {Info(1000), DefaultProtocol(), TableMetadata(), Add("a")});
  Commit(1, {Info(2000), Add("b")});
  Commit(2, {Info(3000), Add("c")});
  EXPECT_EQ(*log_->VersionAtTimestamp(1000), 0);
  EXPECT_EQ(*log_->VersionAtTimestamp(1999), 0);
  EXPECT_EQ(*log_->VersionAtTimestamp(2000), 1);
  EXPECT_EQ(*log_->VersionAtTimestamp(2500), 1);
  EXPECT_EQ(*log_->VersionAtTimestamp(999999), 2);
  auto snapshot = log_->LoadSnapshotAtTimestamp(2500);
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ((*snapshot)->version, 1);
  auto early = log_->VersionAtTimestamp(999);
  ASSERT_TRUE(early.status().IsInvalid());
  EXPECT_NE(early.status().message().find("earliest available version 0"), std::string::npos)
      << early.status().message();
}

TEST_F(LogTest, CorruptCommitNamesTheFileAndLine) {
  Commit(0, {Info(1000), DefaultProtocol(), TableMetadata(), Add("a")});
  ASSERT_TRUE(store_->Put(CommitKey(1), "{\"add\":{\"path\":\"b\"}}\n{\"add\": oops\n").ok());
  auto snapshot = log_->LoadSnapshot();
  ASSERT_TRUE(snapshot.status().IsCorrupt());
  EXPECT_NE(snapshot.status().message().find("_delta_log/00000000000000000001.json line 2"),
            std::string::npos)
      << snapshot.status().message();
}

TEST_F(LogTest, MissingCommitIsCorrupt) {
  Commit(0, {Info(1000), DefaultProtocol(), TableMetadata(), Add("a")});
  Commit(2, {Info(3000), Add("c")});
  auto snapshot = log_->LoadSnapshot();
  ASSERT_TRUE(snapshot.status().IsCorrupt());
  EXPECT_NE(snapshot.status().message().find(CommitKey(1)), std::string::npos);
}

TEST_F(LogTest, CheckpointPlusLaterCommitsEqualsFullReplay) {
  Commit(0, {Info(1000), DefaultProtocol(), TableMetadata(), Add("a"), Add("b")});
  Commit(1, {Info(2000), Remove("a"), Add("c"), SetTransaction{"app", 1, {}}});
  Commit(2, {Info(3000), Add("d")});
  auto at2 = Load();
  WriteCheckpoint(*at2);
  Commit(3, {Info(4000), Remove("d"), Add("e")});
  auto full = Load();
  ASSERT_TRUE(full);
  EXPECT_EQ(full->checkpoint_version, 2);
  EXPECT_EQ(Paths(*full), (std::vector<std::string>{"b", "c", "e"}));
  EXPECT_EQ(full->AppTransactionVersion("app"), 1);

  // The same state from JSON only (another table with the same commits, no checkpoint).
  LogReplay replay;
  for (int64_t v = 0; v <= 3; ++v) {
    ASSERT_TRUE(replay.ApplyCommit(v, *log_->ReadCommit(v), 0).ok());
  }
  auto json_only = replay.Finish(uri_);
  ASSERT_TRUE(json_only.ok());
  EXPECT_EQ(json_only->files, full->files);
  EXPECT_EQ(json_only->tombstones, full->tombstones);
  EXPECT_EQ(json_only->app_transactions, full->app_transactions);

  // Time travel before the checkpoint still works from JSON.
  EXPECT_EQ(Paths(*Load(1)), (std::vector<std::string>{"b", "c"}));
}

TEST_F(LogTest, MultiPartCheckpoint) {
  Commit(0, {Info(1000), DefaultProtocol(), TableMetadata(), Add("a"), Add("b"), Add("c")});
  Commit(1, {Info(2000), Remove("b")});
  WriteCheckpoint(*Load(), /*parts=*/3);
  Commit(2, {Info(3000), Add("d")});
  auto snapshot = Load();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->checkpoint_version, 1);
  EXPECT_EQ(Paths(*snapshot), (std::vector<std::string>{"a", "c", "d"}));
}

TEST_F(LogTest, LastCheckpointNamingAMissingPartIsCorrupt) {
  Commit(0, {Info(1000), DefaultProtocol(), TableMetadata(), Add("a"), Add("b"), Add("c")});
  Commit(1, {Info(2000), Remove("b")});
  WriteCheckpoint(*Load(), /*parts=*/3);
  ASSERT_TRUE(store_->Delete(CheckpointPartKey(1, 2, 3)).ok());
  auto snapshot = log_->LoadSnapshot();
  ASSERT_TRUE(snapshot.status().IsCorrupt()) << snapshot.status().ToString();
  EXPECT_NE(snapshot.status().message().find(CheckpointPartKey(1, 2, 3)), std::string::npos)
      << snapshot.status().message();
}

TEST_F(LogTest, IncompleteCheckpointWithoutLastCheckpointIsIgnored) {
  Commit(0, {Info(1000), DefaultProtocol(), TableMetadata(), Add("a"), Add("b")});
  Commit(1, {Info(2000), Remove("b")});
  WriteCheckpoint(*Load(), /*parts=*/2, /*write_last=*/false);
  ASSERT_TRUE(store_->Delete(CheckpointPartKey(1, 2, 2)).ok());
  auto snapshot = Load();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->checkpoint_version, std::nullopt);
  EXPECT_EQ(Paths(*snapshot), (std::vector<std::string>{"a"}));
}

TEST_F(LogTest, CleanedUpLogStartsAtCheckpoint) {
  Commit(0, {Info(1000), DefaultProtocol(), TableMetadata(), Add("a")});
  Commit(1, {Info(2000), Add("b")});
  Commit(2, {Info(3000), Add("c")});
  WriteCheckpoint(*Load());
  Commit(3, {Info(4000), Add("d")});
  ASSERT_TRUE(store_->Delete(CommitKey(0)).ok());
  ASSERT_TRUE(store_->Delete(CommitKey(1)).ok());
  EXPECT_EQ(Paths(*Load()), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(Paths(*Load(2)), (std::vector<std::string>{"a", "b", "c"}));
  auto old = log_->LoadSnapshot(1);
  ASSERT_TRUE(old.status().IsInvalid()) << old.status().ToString();
  EXPECT_NE(old.status().message().find("earliest reconstructable version 2"), std::string::npos);
  auto early = log_->VersionAtTimestamp(1500);
  EXPECT_TRUE(early.status().IsInvalid());
  EXPECT_EQ(*log_->VersionAtTimestamp(3500), 2);
}

TEST_F(LogTest, UpdateAppliesNewerCommits) {
  Commit(0, {Info(1000), DefaultProtocol(), TableMetadata(), Add("a")});
  auto base = Load();
  Commit(1, {Info(2000), Add("b")});
  Commit(2, {Info(3000), Remove("a")});
  auto updated = log_->Update(base);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ((*updated)->version, 2);
  EXPECT_EQ(Paths(**updated), (std::vector<std::string>{"b"}));
  auto same = log_->Update(*updated);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->get(), updated->get());
}

TEST_F(LogTest, HistoryIsNewestFirst) {
  Commit(0, {Info(1000), DefaultProtocol(), TableMetadata(), Add("a")});
  Commit(1, {Info(2000), Add("b")});
  auto history = log_->History();
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 1);
  EXPECT_EQ((*history)[0].timestamp_ms, 2000);
  EXPECT_EQ((*history)[1].info->Operation(), "WRITE");
  EXPECT_EQ(log_->History(1)->size(), 1u);
}

}  // namespace
}  // namespace neuralake::delta
