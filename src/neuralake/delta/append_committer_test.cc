// AppendCommitter: the commit is followed by a checkpoint exactly when the version is due.
#include "neuralake/delta/append_committer.h"

#include <gtest/gtest.h>

#include "neuralake/delta/table.h"
#include "neuralake/storage/test_environment.h"

namespace neuralake::delta {
namespace {

AddFile Add(std::string path) {
  AddFile add;
  add.path = std::move(path);
  add.size = 100;
  add.modification_time = 1;
  return add;
}

class AppendCommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto table = DeltaTable::Open("memory://" + testing::UniqueName("append-committer") + "/t");
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    table_ = std::move(table).value();
    Transaction create(&table_->log());
    Metadata metadata;
    metadata.id = NewUuid();
    metadata.schema_string =
        R"({"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]})";
    metadata.configuration["delta.checkpointInterval"] = "2";
    create.SetOperation("CREATE TABLE");
    create.AddActions({Protocol{}, metadata});
    ASSERT_TRUE(create.Commit().ok());
  }

  Result<CommitResult> Append(const AppendCommitter& committer, const std::string& path,
                              CommitOptions options = {}) {
    NL_ASSIGN_OR_RETURN(auto snapshot, table_->log().LoadSnapshot());
    Transaction txn(&table_->log(), snapshot);
    txn.SetOperation("WRITE", {{"mode", "Append"}});
    txn.AddAction(Add(path));
    return committer.Commit(txn, std::move(options));
  }

  std::optional<int64_t> CheckpointVersion() {
    auto last = table_->log().ReadLastCheckpoint();
    EXPECT_TRUE(last.ok()) << last.status().ToString();
    if (!last.ok() || !*last) return std::nullopt;
    return (*last)->version;
  }

  std::unique_ptr<DeltaTable> table_;
};

TEST_F(AppendCommitterTest, CheckpointsWhenDueAndRunsTheCallersHookFirst) {
  AppendCommitter committer(table_.get());
  ASSERT_TRUE(Append(committer, "a.parquet").ok());  // version 1: not due
  EXPECT_EQ(CheckpointVersion(), std::nullopt);
  int hook_calls = 0;
  CommitOptions options;
  options.after_commit = [&](const std::shared_ptr<const Snapshot>& snapshot) {
    ++hook_calls;
    EXPECT_EQ(snapshot->version, 2);
    return Status::OK();
  };
  auto committed = Append(committer, "b.parquet", options);  // version 2: due
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_TRUE(committed->post_commit_status.ok()) << committed->post_commit_status.ToString();
  EXPECT_EQ(hook_calls, 1);
  EXPECT_EQ(CheckpointVersion(), 2);
}

TEST_F(AppendCommitterTest, NoCheckpointWhenTurnedOff) {
  AppendCommitter committer(table_.get(), /*checkpoint_when_due=*/false);
  ASSERT_TRUE(Append(committer, "a.parquet").ok());
  ASSERT_TRUE(Append(committer, "b.parquet").ok());
  EXPECT_EQ(CheckpointVersion(), std::nullopt);
}

}  // namespace
}  // namespace neuralake::delta
