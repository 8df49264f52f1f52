// Optimistic commits and Delta's conflict rules, with races forced through the before_commit hook.
#include "neuralake/delta/transaction.h"

#include <gtest/gtest.h>

#include "neuralake/storage/forwarding_object_store.h"
#include "neuralake/storage/object_store_factory.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

AddFile Add(std::string path, std::optional<std::string> city = std::nullopt) {
  AddFile add;
  add.path = std::move(path);
  add.size = 100;
  add.modification_time = 1;
  if (city) add.partition_values["city"] = *city;
  return add;
}

// A store whose put-if-absent of commit files is applied but then reported as failed, the way a
// lost response (IOError) or a client-side retry of an applied request (Conflict) looks.
class LostResponseStore : public storage::ForwardingObjectStore {
 public:
  LostResponseStore(storage::ObjectStore* wrapped, Status reported)
      : ForwardingObjectStore(wrapped), reported_(std::move(reported)) {}
  bool armed = false;

  Status PutIfAbsent(std::string_view key, std::string_view data) override {
    Status status = target().PutIfAbsent(key, data);
    if (status.ok() && armed) {
      armed = false;
      return reported_;
    }
    return status;
  }

 private:
  Status reported_;
};

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = testing::UniqueName("delta-txn");
    uri_ = "memory://" + name + "/t";
    auto store = storage::MakeMemoryObjectStore(name, "t");
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    log_ = std::make_unique<DeltaLog>(store_.get(), uri_, nullptr);
  }

  // Version 0: a table partitioned by city with one file per city.
  void CreateTable(std::map<std::string, std::string> configuration = {}) {
    Transaction create(log_.get());
    Metadata metadata;
    metadata.id = NewUuid();
    metadata.schema_string =
        R"({"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}},)"
        R"({"name":"city","type":"string","nullable":true,"metadata":{}}]})";
    metadata.partition_columns = {"city"};
    metadata.configuration = std::move(configuration);
    create.SetOperation("CREATE TABLE");
    create.AddActions({Protocol{}, metadata, Add("city=paris/p0.parquet", "paris"),
                       Add("city=rome/r0.parquet", "rome")});
    auto result = create.Commit();
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_EQ(result->version, 0);
  }

  std::shared_ptr<const Snapshot> Latest() {
    auto snapshot = log_->LoadSnapshot();
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    return *snapshot;
  }

  Transaction Append(std::string path, std::string city) {
    Transaction txn(log_.get(), Latest());
    txn.SetOperation("WRITE", {{"mode", "Append"}});
    txn.AddAction(Add(std::move(path), std::move(city)));
    return txn;
  }

  // A delete of one city: reads that partition and removes its files.
  Transaction DeleteCity(const std::string& city) {
    auto snapshot = Latest();
    Transaction txn(log_.get(), snapshot);
    txn.SetOperation("DELETE", {{"predicate", "city = '" + city + "'"}});
    txn.ReadPartitions(
        [city](const PartitionValues& values) {
          auto it = values.find("city");
          return it != values.end() && it->second == city;
        },
        "city = '" + city + "'");
    for (const auto& file : snapshot->files) {
      if (file.partition_values.at("city") == city) {
        txn.ReadFile(file.path);
        txn.AddAction(RemoveFor(file, NowMs()));
      }
    }
    return txn;
  }

  // Runs `rival` once, the first time the hook fires.
  CommitOptions RaceWith(std::function<void()> rival) {
    CommitOptions options;
    auto fired = std::make_shared<bool>(false);
    options.before_commit = [fired, rival](int64_t) {
      if (!*fired) {
        *fired = true;
        rival();
      }
    };
    return options;
  }

  std::string uri_;
  std::unique_ptr<storage::ObjectStore> store_;
  std::unique_ptr<DeltaLog> log_;
};

TEST_F(TransactionTest, CommitInfoIsRecorded) {
  CreateTable();
  auto actions = log_->ReadCommit(0);
  ASSERT_TRUE(actions.ok());
  const auto& info = std::get<CommitInfo>(actions->front());
  EXPECT_EQ(info.Operation(), "CREATE TABLE");
  EXPECT_TRUE(info.Timestamp().has_value());
  EXPECT_EQ(info.fields["engineInfo"], EngineInfo());
  EXPECT_EQ(NewUuid().size(), 36u);
  EXPECT_NE(NewUuid(), NewUuid());
}

TEST_F(TransactionTest, SecondCreateConflicts) {
  CreateTable();
  Transaction again(log_.get());
  Metadata metadata;
  metadata.id = NewUuid();
  metadata.schema_string = R"({"type":"struct","fields":[]})";
  again.AddActions({Protocol{}, metadata});
  EXPECT_TRUE(again.Commit().status().IsConflict());
}

TEST_F(TransactionTest, ConcurrentBlindAppendsBothCommit) {
  CreateTable();
  Transaction first = Append("city=paris/a.parquet", "paris");
  auto result = first.Commit(RaceWith([&] {
    auto rival = Append("city=paris/b.parquet", "paris").Commit();
    ASSERT_TRUE(rival.ok()) << rival.status().ToString();
    EXPECT_EQ(rival->version, 1);
  }));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->version, 2);
  EXPECT_EQ(result->attempts, 2);
  EXPECT_EQ(result->snapshot->files.size(), 4u);
  auto latest = Latest();
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->files.size(), 4u);
  EXPECT_EQ(latest->files, result->snapshot->files);
}

TEST_F(TransactionTest, DeleteRacingAnAppendIntoItsPartitionConflicts) {
  CreateTable();
  Transaction deletion = DeleteCity("paris");
  auto result = deletion.Commit(RaceWith([&] {
    ASSERT_TRUE(Append("city=paris/late.parquet", "paris").Commit().ok());
  }));
  ASSERT_TRUE(result.status().IsConflict()) << result.status().ToString();
  EXPECT_NE(result.status().message().find("version 1"), std::string::npos)
      << result.status().message();
  EXPECT_NE(result.status().message().find("city=paris/late.parquet"), std::string::npos);
  // Only the append is in the table.
  EXPECT_EQ(Latest()->version, 1);
  EXPECT_EQ(Latest()->files.size(), 3u);
}

TEST_F(TransactionTest, DeleteRacingAnAppendIntoAnotherPartitionCommits) {
  CreateTable();
  Transaction deletion = DeleteCity("paris");
  auto result = deletion.Commit(RaceWith([&] {
    ASSERT_TRUE(Append("city=rome/late.parquet", "rome").Commit().ok());
  }));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->version, 2);
  std::vector<std::string> paths;
  auto latest = Latest();
  for (const auto& file : latest->files) paths.push_back(file.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"city=rome/late.parquet", "city=rome/r0.parquet"}));
}

TEST_F(TransactionTest, AppendRacingADeleteCommits) {
  CreateTable();
  Transaction append = Append("city=paris/new.parquet", "paris");
  auto result = append.Commit(RaceWith([&] { ASSERT_TRUE(DeleteCity("paris").Commit().ok()); }));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->version, 2);
}

TEST_F(TransactionTest, TwoDeletesOfTheSameFilesExactlyOneConflicts) {
  CreateTable();
  Transaction first = DeleteCity("paris");
  int conflicts = 0;
  auto result = first.Commit(RaceWith([&] {
    auto rival = DeleteCity("paris").Commit();
    if (!rival.ok()) ++conflicts;
  }));
  if (!result.ok()) {
    EXPECT_TRUE(result.status().IsConflict());
    EXPECT_NE(result.status().message().find("city=paris/p0.parquet"), std::string::npos);
    ++conflicts;
  }
  EXPECT_EQ(conflicts, 1);
}

TEST_F(TransactionTest, ConcurrentMetadataChangeConflicts) {
  CreateTable();
  Transaction append = Append("city=paris/new.parquet", "paris");
  auto result = append.Commit(RaceWith([&] {
    Transaction alter(log_.get(), Latest());
    Metadata metadata = Latest()->metadata;
    metadata.configuration["delta.checkpointInterval"] = "5";
    alter.SetOperation("SET TBLPROPERTIES");
    alter.AddAction(metadata);
    ASSERT_TRUE(alter.Commit().ok());
  }));
  ASSERT_TRUE(result.status().IsConflict());
  EXPECT_NE(result.status().message().find("metadata"), std::string::npos);
}

TEST_F(TransactionTest, IdempotentWritesAreSkipped) {
  CreateTable();
  Transaction first = Append("city=paris/a.parquet", "paris");
  first.SetAppTransaction("ingest-1", 5);
  auto committed = first.Commit();
  ASSERT_TRUE(committed.ok());
  EXPECT_FALSE(committed->skipped);
  EXPECT_EQ(Latest()->AppTransactionVersion("ingest-1"), 5);

  for (int64_t version : {4, 5}) {
    Transaction replay = Append("city=paris/dup.parquet", "paris");
    replay.SetAppTransaction("ingest-1", version);
    auto skipped = replay.Commit();
    ASSERT_TRUE(skipped.ok());
    EXPECT_TRUE(skipped->skipped);
    EXPECT_EQ(skipped->version, 1);
  }
  EXPECT_EQ(Latest()->version, 1);

  Transaction next = Append("city=paris/b.parquet", "paris");
  next.SetAppTransaction("ingest-1", 6);
  auto advanced = next.Commit();
  ASSERT_TRUE(advanced.ok());
  EXPECT_EQ(advanced->version, 2);
  EXPECT_EQ(Latest()->AppTransactionVersion("ingest-1"), 6);
}

TEST_F(TransactionTest, ConcurrentTxnForTheSameAppConflicts) {
  CreateTable();
  Transaction ours = Append("city=paris/a.parquet", "paris");
  ours.SetAppTransaction("ingest-1", 1);
  auto result = ours.Commit(RaceWith([&] {
    Transaction theirs = Append("city=paris/b.parquet", "paris");
    theirs.SetAppTransaction("ingest-1", 1);
    ASSERT_TRUE(theirs.Commit().ok());
  }));
  ASSERT_TRUE(result.status().IsConflict());
  EXPECT_NE(result.status().message().find("'ingest-1'"), std::string::npos);
}

TEST_F(TransactionTest, AppendOnlyTablesRefuseRemoves) {
  CreateTable({{"delta.appendOnly", "true"}});
  auto result = DeleteCity("paris").Commit();
  ASSERT_TRUE(result.status().IsInvalid());
  EXPECT_NE(result.status().message().find("append-only"), std::string::npos);
  EXPECT_TRUE(Append("city=paris/a.parquet", "paris").Commit().ok());
}

TEST_F(TransactionTest, InCommitTimestampsIncrease) {
  CreateTable({{"delta.enableInCommitTimestamps", "true"}});
  ASSERT_TRUE(Append("a.parquet", "paris").Commit().ok());
  ASSERT_TRUE(Append("b.parquet", "paris").Commit().ok());
  int64_t previous = -1;
  for (int64_t v = 0; v <= 2; ++v) {
    auto actions = log_->ReadCommit(v);
    ASSERT_TRUE(actions.ok());
    auto ict = std::get<CommitInfo>(actions->front()).InCommitTimestamp();
    ASSERT_TRUE(ict.has_value()) << "version " << v;
    EXPECT_GT(*ict, previous);
    previous = *ict;
  }
}

TEST_F(TransactionTest, GivesUpAfterBoundedAttempts) {
  CreateTable();
  Transaction ours = Append("city=paris/a.parquet", "paris");
  CommitOptions options;
  options.max_attempts = 3;
  options.before_commit = [&](int64_t) {
    ASSERT_TRUE(Append("city=rome/x-" + NewUuid() + ".parquet", "rome").Commit().ok());
  };
  auto result = ours.Commit(options);
  ASSERT_TRUE(result.status().IsConflict());
  EXPECT_NE(result.status().message().find("3 attempts"), std::string::npos);
}

TEST_F(TransactionTest, AppliedCommitReportedAsFailedIsRecognized) {
  CreateTable();
  for (Status reported : {Status::IOError("connection reset"), Status::Conflict("412")}) {
    LostResponseStore lossy(store_.get(), reported);
    DeltaLog lossy_log(&lossy, uri_, nullptr);
    auto snapshot = Latest();
    Transaction txn(&lossy_log, snapshot);
    txn.AddAction(Add("city=paris/" + NewUuid() + ".parquet", "paris"));
    lossy.armed = true;
    auto result = txn.Commit();
    ASSERT_TRUE(result.ok()) << reported.ToString() << ": " << result.status().ToString();
    EXPECT_EQ(result->version, snapshot->version + 1);
    // Committed exactly once.
    EXPECT_EQ(Latest()->version, snapshot->version + 1);
    EXPECT_EQ(Latest()->files.size(), snapshot->files.size() + 1);
  }
}

}  // namespace
}  // namespace neuralake::delta
